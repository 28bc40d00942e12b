// neg_sampling
