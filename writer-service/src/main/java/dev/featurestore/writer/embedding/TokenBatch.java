package dev.featurestore.writer.embedding;

/**
 * Token ids of several texts, right-padded with zeros to the longest one; {@code attentionMask} is
 * 1 for real tokens and 0 for padding, so padding changes neither attention nor the mean pooling.
 */
record TokenBatch(long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds) {

  int size() {
    return inputIds.length;
  }

  int sequenceLength() {
    return inputIds.length == 0 ? 0 : inputIds[0].length;
  }
}
