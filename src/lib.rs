//! extramile: log the extra mile you go for clients, keep your follow-ups, and see each
//! week whom you served, what slipped, and who is being neglected.

pub mod action_sums;
pub mod check;
pub mod cli;
pub mod commands;
pub mod context;
pub mod counted;
pub mod crm;
pub mod dates;
pub mod demo;
pub mod error;
pub mod import;
pub mod memory;
pub mod merge;
pub mod model;
pub mod next;
pub mod number_set;
pub mod render;
pub mod report;
pub mod state;
pub mod store;
pub mod transfer;
pub mod trend;
pub mod validate;
