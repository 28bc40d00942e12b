// naive_softmax
