"""Stock counts (库存盘点) in the API. Blind counts are enforced here: book quantities and variances
need ``stock.count.approve``; counters see products and locations only."""
