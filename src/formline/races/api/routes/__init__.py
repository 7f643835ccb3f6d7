"""The races domain's routers: race days and cards, and the current form of horses, jockeys and
trainers."""
