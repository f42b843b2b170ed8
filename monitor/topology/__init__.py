"""The network path of every device, and which failures share one cause."""
