package dev.featurestore.writer;

import dev.featurestore.writer.embedding.EmbeddingEngine;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Writer configuration under {@code featurestore.*}; the defaults are the {@code @DefaultValue}s
 * here. The catalog and the state dir are the offline store's ({@code OfflineStoreProperties}).
 *
 * @param writer the Kafka side
 * @param embedding the model runtime
 */
@Validated
@ConfigurationProperties("featurestore")
public record WriterProperties(
    @DefaultValue @Valid @NotNull Writer writer,
    @DefaultValue @Valid @NotNull Embedding embedding) {

  /**
   * @param topic the documents topic
   * @param deadLetterTopic where records that cannot be processed go, with the reason in headers
   * @param consumerGroup the writers' consumer group
   * @param partitions partitions of the topics when the writer creates them
   * @param maxTextBytes the largest text accepted (UTF-8 bytes); the model reads 256 word pieces at
   *     most anyway
   * @param commitInterval the least time between two commits (snapshots) of this writer; 0 commits
   *     as fast as it can
   * @param maxBatchRecords a batch this large is committed without waiting for the interval
   */
  public record Writer(
      @DefaultValue("documents") @NotBlank String topic,
      @DefaultValue("documents.dlq") @NotBlank String deadLetterTopic,
      @DefaultValue("featurestore-writer") @NotBlank String consumerGroup,
      @DefaultValue("3") @Min(1) int partitions,
      @DefaultValue("65536") @Min(1) @Max(16 * 1024 * 1024) int maxTextBytes,
      @DefaultValue("500ms") Duration commitInterval,
      @DefaultValue("2048") @Min(1) int maxBatchRecords) {}

  /**
   * @param engine the DJL engine that runs the model: onnxruntime (default, the faster one here) or
   *     pytorch
   * @param cacheDir where the model and the engines' natives are extracted; default {@code
   *     <state-dir>/models}
   * @param maxBatchSize texts per inference call
   * @param intraOpThreads threads per inference operation; 0 means one per core
   * @param modelUrl another model instead of the bundled all-MiniLM-L6-v2: a local directory or
   *     file (ONNX for onnxruntime, TorchScript for pytorch, with tokenizer.json beside it) or a
   *     DJL model-zoo / HTTP URL
   * @param modelName the model name written with every row for a {@code modelUrl} model; default
   *     the URL
   * @param allowDownload whether a {@code modelUrl} may be downloaded at start; off, nothing
   *     reaches the network
   */
  public record Embedding(
      @DefaultValue("onnxruntime") EmbeddingEngine engine,
      Path cacheDir,
      @DefaultValue("32") @Min(1) @Max(1024) int maxBatchSize,
      @DefaultValue("0") @Min(0) int intraOpThreads,
      String modelUrl,
      String modelName,
      @DefaultValue("false") boolean allowDownload) {}

  /** The configured model cache, else {@code models/} in the state dir. */
  public Path modelCacheDir(Path stateDir) {
    return embedding.cacheDir() != null ? embedding.cacheDir() : stateDir.resolve("models");
  }
}
