package dev.featurestore.writer.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Each engine, in a JVM of its own with both on the classpath, maps only its own native libraries,
 * and maps them from the project-local cache (never the temp directory or {@code ~/.djl.ai}).
 */
class EngineIsolationIT {

  private static final Path CACHE = Path.of("target", "probe-cache").toAbsolutePath();

  @Test
  void onnxRuntimeLoadsNoLibtorchAndItsOwnLibrariesFromTheCache() throws Exception {
    EngineProcess probe = EngineProcess.run(EmbeddingEngine.ONNXRUNTIME, CACHE);
    assertThat(probe.mapped("libonnxruntime.so"))
        .isNotEmpty()
        .allSatisfy(path -> assertThat(path).startsWith(CACHE.toString()));
    assertThat(probe.mapped("libtorch")).isEmpty();
    assertThat(probe.mapped("libtokenizers"))
        .isNotEmpty()
        .allSatisfy(path -> assertThat(path).startsWith(CACHE.toString()));
  }

  @Test
  void pyTorchLoadsNoOnnxRuntimeAndItsOwnLibrariesFromTheCache() throws Exception {
    EngineProcess probe = EngineProcess.run(EmbeddingEngine.PYTORCH, CACHE);
    assertThat(probe.mapped("libtorch_cpu.so"))
        .isNotEmpty()
        .allSatisfy(path -> assertThat(path).startsWith(CACHE.toString()));
    assertThat(probe.mapped("libonnxruntime")).isEmpty();
  }
}
