"""The durable queue of server effects: enqueue in the store first, execute after."""
