//! The one error type that carries meaning: bad input from the user, which exits with 2.
//! Everything else is an `anyhow::Error` and exits with 1.

use std::fmt;

/// The user typed something we can't use; they fix it by typing something else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        UsageError(message.into())
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exit code for an error: 2 when it is (or wraps) bad input, else 1.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err
        .chain()
        .any(|cause| cause.is::<UsageError>() || cause.is::<crate::dates::WhenError>())
    {
        2
    } else {
        1
    }
}

/// Returns early with a `UsageError` (exit 2): what the user asked can't be done as
/// typed. Formats like `anyhow::bail!`.
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err($crate::error::UsageError::new(format!($($arg)*)).into())
    };
}
