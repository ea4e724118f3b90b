//! In-memory fakes of every port.

pub mod clock;
