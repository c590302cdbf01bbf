package dev.featurestore.writer.embedding;

/**
 * Runs a sentence-transformer on one padded token batch: row {@code i} of the result is the
 * mean-pooled, L2-normalised embedding of row {@code i} of the batch. Padding (attention mask 0)
 * changes no result.
 */
interface SentenceEncoder extends AutoCloseable {

  float[][] encode(TokenBatch batch);

  @Override
  void close();
}
