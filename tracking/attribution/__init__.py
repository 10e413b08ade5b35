"""Attribution: turning inbox callbacks into conversions and money, in workers."""
