package dev.featurestore.serving.features;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** {@code {"doc_ids": ["a", "b"]}}: the ids of a batch lookup. */
public record BatchRequest(@JsonProperty("doc_ids") List<String> docIds) {}
