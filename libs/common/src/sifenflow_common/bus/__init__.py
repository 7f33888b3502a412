"""Message bus: port, topology names, RabbitMQ (aio-pika) and in-process adapters."""
