package dev.featurestore.writer.ingest;

import java.time.Instant;

/** A valid document taken from the topic, with the Kafka record time it arrived with. */
public record Document(String docId, String text, Instant eventTime) {}
