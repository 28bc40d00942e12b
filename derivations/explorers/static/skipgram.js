// skipgram
