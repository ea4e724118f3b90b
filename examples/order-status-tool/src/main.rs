//! The order-status tool as a Lambda function (`cargo lambda build
//! --release --arm64 -p pika-example-order-status-tool`).

#[tokio::main]
async fn main() -> Result<(), pika_lambda_tool::Error> {
    pika_lambda_tool::run(pika_example_order_status_tool::handle).await
}
