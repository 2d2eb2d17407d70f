//! The task engine. Every change to an add-on is a task row; runners claim tasks with a lease,
//! run each stage through an executor, and record each completed stage durably before the next,
//! so that after a crash a task continues from its last completed stage. Pause and cancel are
//! requests on the row, honoured between stages (cancel also interrupts a running stage).

mod executor;
pub mod metrics;
mod rollback;
mod runner;
mod signals;
mod stage;

pub use executor::Executor;
pub use runner::{Engine, EngineConfig};
pub use signals::Signals;
