"""Available to sell (可售库存): the ``availableToSell`` query and the ``setSafetyStock`` mutation."""
