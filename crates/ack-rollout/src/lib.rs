//! Fleet rollouts. `plan` decides, without I/O: which clusters a rollout takes and how its waves
//! are cut (at creation), and what one step does next (which clusters start, whether a wave ends,
//! whether the failure gate trips). `driver` carries those steps out against the store, one
//! replica at a time per rollout under a lease, the way the task engine runs tasks.

mod driver;
pub mod plan;

pub use driver::{Driver, DriverConfig};
