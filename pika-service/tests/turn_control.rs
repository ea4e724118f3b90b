//! Turn control across processes, on the fakes (see `turn_control_support`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod turn_control_support;

use pika_testkit::FakePorts;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_over_the_fakes_share_one_turn() {
    let fakes = FakePorts::new();
    turn_control_support::two_processes_share_one_turn(fakes.ports(), &fakes).await;
}
