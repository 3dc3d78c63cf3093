//! What every action adds up to, for a state read for a window of time that holds only
//! some of them: per client, how many and when the latest was; per day, whether any
//! was logged (for streaks). Kept small so a report reads the same few bytes whether
//! the history is a year or thirty.

use foldhash::HashMap;

use crate::model::Action;

pub const DAY: i64 = 86_400;

/// The actions of one UTC day: the first and last time (Unix seconds) and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: i64,
    pub last: i64,
    pub count: u32,
}

/// Per UTC day (days since the Unix epoch) that holds actions, their span, in the
/// order of the days. It tells exactly whether any action falls in a stretch of time
/// longer than a day (a week): only the days at the stretch's ends are cut, and of
/// those only the first or the last time matters.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Days(Vec<(i64, Span)>);

impl Days {
    pub fn of(instants: impl IntoIterator<Item = i64>) -> Days {
        let mut days = Days::default();
        for at in instants {
            days.add(at);
        }
        days
    }

    /// Days as a snapshot lists them: `None` unless each comes once, in order.
    pub fn listed(days: Vec<(i64, Span)>) -> Option<Days> {
        days.is_sorted_by(|a, b| a.0 < b.0).then_some(Days(days))
    }

    pub fn iter(&self) -> std::slice::Iter<'_, (i64, Span)> {
        self.0.iter()
    }

    /// Where `day` is among the days, or would be.
    fn place(&self, day: i64) -> Result<usize, usize> {
        self.0.binary_search_by_key(&day, |&(d, _)| d)
    }

    pub fn add(&mut self, at: i64) {
        let day = at.div_euclid(DAY);
        match self.place(day) {
            Ok(i) => {
                let s = &mut self.0[i].1;
                s.first = s.first.min(at);
                s.last = s.last.max(at);
                s.count += 1;
            }
            Err(i) => self.0.insert(
                i,
                (
                    day,
                    Span {
                        first: at,
                        last: at,
                        count: 1,
                    },
                ),
            ),
        }
    }

    /// Whether taking one action at `at` out keeps the spans exact: the day's first or
    /// last time of several can't be taken out without knowing the next one.
    fn can_remove(&self, at: i64) -> bool {
        self.place(at.div_euclid(DAY)).is_ok_and(|i| {
            let s = self.0[i].1;
            s.count == 1 || (s.first < at && at < s.last)
        })
    }

    /// Makes `day`'s span that of these times, all the actions on it now.
    fn set(&mut self, day: i64, times: impl IntoIterator<Item = i64>) {
        if let Ok(i) = self.place(day) {
            self.0.remove(i);
        }
        for at in times {
            debug_assert_eq!(at.div_euclid(DAY), day, "a time on the day");
            self.add(at);
        }
    }

    fn remove(&mut self, at: i64) {
        if let Ok(i) = self.place(at.div_euclid(DAY)) {
            self.0[i].1.count -= 1;
            if self.0[i].1.count == 0 {
                self.0.remove(i);
            }
        }
    }

    /// Whether any action falls in `from..to` (Unix seconds), a stretch longer than a
    /// day.
    pub fn any_between(&self, from: i64, to: i64) -> bool {
        debug_assert!(to - from > DAY, "a stretch longer than a day");
        let (first, last) = (from.div_euclid(DAY), (to - 1).div_euclid(DAY));
        let start = self.0.partition_point(|&(d, _)| d < first);
        self.0[start..]
            .iter()
            .take_while(|&&(d, _)| d <= last)
            .any(|(_, s)| s.last >= from && s.first < to)
    }
}

/// One client's actions: how many there are, and the times (Unix seconds, sorted) of
/// those since `ActionSums::since` (up to `until` at least), after the latest one
/// before it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClientTimes {
    pub count: usize,
    pub times: Vec<i64>,
}

/// What all actions add up to. Changes made after the snapshot it was read from are
/// counted in and out; one it can't follow exactly (taking out the latest action
/// before `since` of a client, or a day's first or last of several) is set aside, and
/// undone by the same action coming back (an edit that keeps the time), or settled
/// with the actions on its day and the client's latest (`settle`); any left set aside
/// means the sums can't be trusted (`exact`), and the store reads everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSums {
    /// Times before this are summed up per client as the latest one alone.
    pub since: i64,
    /// Times from this on may be left out: asked about a time after it, the sums
    /// can't tell (a window read long ago lists only the times up to its end).
    pub until: i64,
    pub clients: HashMap<String, ClientTimes>,
    pub days: Days,
    pub story_days: Days,
    set_aside: Vec<(String, i64, bool)>,
}

impl Default for ActionSums {
    fn default() -> ActionSums {
        ActionSums::new(0, Days::default(), Days::default())
    }
}

impl ActionSums {
    /// Sums listing the times since `since`, from these days.
    pub fn new(since: i64, days: Days, story_days: Days) -> ActionSums {
        ActionSums {
            since,
            until: i64::MAX,
            clients: HashMap::default(),
            days,
            story_days,
            set_aside: Vec::new(),
        }
    }

    /// Counts one more action.
    pub fn add(&mut self, action: &Action) {
        let at = action.at.timestamp();
        let key = (action.client.clone(), at, action.story);
        if let Some(place) = self.set_aside.iter().position(|k| *k == key) {
            self.set_aside.swap_remove(place);
            return;
        }
        self.days.add(at);
        if action.story {
            self.story_days.add(at);
        }
        let client = self.clients.entry(action.client.clone()).or_default();
        client.count += 1;
        let times = &mut client.times;
        let place = times.partition_point(|&i| i <= at);
        if at >= self.since {
            times.insert(place, at);
        } else if place == 0 && times.first().is_none_or(|&t| t >= self.since) {
            // The latest one before `since`, and there was none.
            times.insert(0, at);
        } else if place == 1 && times[0] < self.since {
            // Later than the latest one before `since`: it is the latest now.
            times[0] = at;
        }
    }

    /// Counts one action fewer.
    pub fn remove(&mut self, action: &Action) {
        self.remove_at(&action.client, action.at.timestamp(), action.story);
    }

    /// Counts one action fewer: the client's, at `at` (whole seconds), a story or not.
    pub fn remove_at(&mut self, client_id: &str, at: i64, story: bool) {
        let Some(client) = self.clients.get(client_id) else {
            return;
        };
        let latest_before = client.times.first().filter(|&&t| t < self.since);
        let exact = self.days.can_remove(at)
            && (!story || self.story_days.can_remove(at))
            && latest_before != Some(&at);
        if !exact {
            self.set_aside.push((client_id.to_string(), at, story));
            return;
        }
        self.days.remove(at);
        if story {
            self.story_days.remove(at);
        }
        let client = self.clients.get_mut(client_id).expect("looked up above");
        client.count -= 1;
        let place = client.times.partition_point(|&i| i < at);
        if at >= self.since && client.times.get(place) == Some(&at) {
            client.times.remove(place);
        }
    }

    /// Whether every change was followed exactly.
    pub fn exact(&self) -> bool {
        self.set_aside.is_empty()
    }

    /// Follows the removals set aside exactly, given the actions on a UTC day now
    /// (`on_day(day)`, each one's time and whether it is a story), from which its span
    /// is taken, and a client's latest action before `since` now
    /// (`latest_before(client)`), for when the one it was is taken out. Whether all
    /// were: not when either can't tell.
    pub fn settle(
        &mut self,
        mut on_day: impl FnMut(i64) -> Option<Vec<(i64, bool)>>,
        mut latest_before: impl FnMut(&str) -> Option<Option<i64>>,
    ) -> bool {
        while let Some((client, at, _)) = self.set_aside.pop() {
            let Some(times) = self.clients.get_mut(&client) else {
                return false;
            };
            if times
                .times
                .first()
                .is_some_and(|&t| t < self.since && t == at)
            {
                match latest_before(&client) {
                    Some(Some(latest)) if latest < self.since => times.times[0] = latest,
                    Some(None) => {
                        times.times.remove(0);
                    }
                    _ => return false,
                }
            }
            times.count -= 1;
            let place = times.times.partition_point(|&t| t < at);
            if at >= self.since && times.times.get(place) == Some(&at) {
                times.times.remove(place);
            }
            let day = at.div_euclid(DAY);
            let Some(now) = on_day(day) else {
                return false;
            };
            self.days.set(day, now.iter().map(|&(at, _)| at));
            self.story_days.set(
                day,
                now.iter().filter(|&&(_, story)| story).map(|&(at, _)| at),
            );
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn action(client: &str, at: i64, story: bool) -> Action {
        let mut a = crate::demo::records(
            DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap(),
        )
        .into_iter()
        .find_map(|r| match r {
            crate::model::Record::Action(a) => Some(a),
            _ => None,
        })
        .unwrap();
        a.client = client.to_string();
        a.at = DateTime::from_timestamp(at, 0).unwrap().fixed_offset();
        a.story = story;
        a
    }

    /// Sums over all of `actions` as a snapshot would write them, with `since`.
    fn sums(actions: &[Action], since: i64) -> ActionSums {
        let mut out = ActionSums {
            since: i64::MIN,
            ..ActionSums::default()
        };
        for a in actions {
            out.add(a);
        }
        out.since = since;
        for c in out.clients.values_mut() {
            let keep = c.times.partition_point(|&t| t < since).saturating_sub(1);
            c.times.drain(..keep);
        }
        out
    }

    #[test]
    fn sums_follow_changes_or_say_they_cannot() {
        let since = 100 * DAY;
        let all = vec![
            action("a", 10 * DAY + 5, false),
            action("a", 10 * DAY + 50, true),
            action("a", 10 * DAY + 500, false),
            action("a", 120 * DAY, false),
            action("b", 20 * DAY, false),
        ];
        // A change to an action in the middle of its day is followed.
        let mut s = sums(&all, since);
        s.remove(&all[1]);
        assert!(s.exact());
        assert_eq!(s, sums(&[&all[..1], &all[2..]].concat(), since));
        // The latest before `since` of a client can't be taken out, unless it comes back.
        let mut s = sums(&all, since);
        s.remove(&all[4]);
        assert!(!s.exact());
        s.add(&all[4]);
        assert!(s.exact());
        assert_eq!(s, sums(&all, since));
        // A day's first of several, the same, until settled with the actions on its
        // day now.
        let mut s = sums(&all, since);
        s.remove(&all[0]);
        assert!(!s.exact());
        // What `settle` is told, from the actions there are now.
        let on_day = |now: &[Action], day: i64| {
            let on = now
                .iter()
                .filter(|a| a.at.timestamp().div_euclid(DAY) == day);
            Some(on.map(|a| (a.at.timestamp(), a.story)).collect())
        };
        let latest_before = |now: &[Action], client: &str| {
            let before = now.iter().filter(|a| a.client == client);
            Some(
                before
                    .map(|a| a.at.timestamp())
                    .filter(|&t| t < since)
                    .max(),
            )
        };
        let rest = all[1..].to_vec();
        assert!(s.settle(|d| on_day(&rest, d), |c| latest_before(&rest, c)));
        assert!(s.exact());
        assert_eq!(s, sums(&rest, since));
        // A client's latest before `since` taken out: the one before it takes its
        // place, or none is left; unless that can't be told.
        let rest = [&all[..2], &all[3..]].concat();
        let mut s = sums(&all, since);
        s.remove(&all[2]);
        assert!(!s.exact());
        assert!(s.settle(|d| on_day(&rest, d), |c| latest_before(&rest, c)));
        assert_eq!(s, sums(&rest, since));
        assert_eq!(s.clients["a"].times, vec![10 * DAY + 50, 120 * DAY]);
        let mut s = sums(&all, since);
        s.remove(&all[4]);
        let rest = &all[..4];
        assert!(s.settle(|d| on_day(rest, d), |c| latest_before(rest, c)));
        assert_eq!(s.clients["b"], ClientTimes::default());
        let mut s = sums(&all, since);
        s.remove(&all[4]);
        assert!(!s.settle(|d| on_day(rest, d), |_| None));
        // An action added before `since` becomes its client's latest there if later.
        let mut s = sums(&all, since);
        let late = action("b", 30 * DAY, false);
        s.add(&late);
        assert_eq!(s, sums(&[all.clone(), vec![late]].concat(), since));
        assert_eq!(s.clients["b"].times, vec![30 * DAY]);
        assert_eq!(s.clients["b"].count, 2);
        // Spans answer for stretches longer than a day, cut at either end.
        let days = Days::of(all.iter().map(|a| a.at.timestamp()));
        assert!(days.any_between(10 * DAY + 400, 17 * DAY));
        assert!(!days.any_between(10 * DAY + 501, 17 * DAY));
        assert!(days.any_between(3 * DAY, 10 * DAY + 6));
        assert!(!days.any_between(3 * DAY, 10 * DAY + 5));
    }
}
