"""What integrations see of the log: one public event shape, the reader outbound deliveries
follow, and the relay to NATS JetStream."""
