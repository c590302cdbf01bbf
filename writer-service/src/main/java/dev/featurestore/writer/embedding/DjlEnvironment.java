package dev.featurestore.writer.embedding;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The JVM-wide settings DJL and its engines read once, when they first load: applied before any DJL
 * class reads them. Settings the user gave explicitly (system properties) win, except offline mode,
 * which follows {@code featurestore.embedding.allow-download}.
 */
final class DjlEnvironment {

  private static final String ORT_NATIVE_DIR = "ai/onnxruntime/native/linux-x64/";
  private static final String[] ORT_LIBRARIES = {
    ORT_NATIVE_DIR + "libonnxruntime.so", ORT_NATIVE_DIR + "libonnxruntime4j_jni.so"
  };

  private DjlEnvironment() {}

  /**
   * Keeps DJL off the network (without these switches it contacts a telemetry endpoint at engine
   * start and at every tokenizer creation, and model URLs may download) unless {@code
   * allowDownload}, and extracts natives into {@code cacheDir} instead of {@code ~/.djl.ai} and the
   * temp directory.
   */
  static void prepare(Path cacheDir, boolean allowDownload) {
    // set either way, not only when absent: featurestore.embedding.allow-download is the user's
    // explicit choice, and
    // a JVM that loaded a downloadable model before must not stay online for the next one
    System.setProperty("ai.djl.offline", Boolean.toString(!allowDownload));
    setIfAbsent("OPT_OUT_TRACKING", "true");
    if (System.getenv("DJL_CACHE_DIR") == null) {
      setIfAbsent("DJL_CACHE_DIR", cacheDir.toAbsolutePath().toString());
    }
    // with PyTorch on the classpath, ONNX Runtime would load all of libtorch as its "alternative
    // engine" for NDArray
    // operations; our ONNX path pools in Java and needs none
    setIfAbsent("ai.djl.onnx.disable_alternative", "true");
  }

  /**
   * Thread pools of the engine, sized before it starts: {@code intraOpThreads} per operation, one
   * inter-op.
   */
  static void pyTorchThreads(int intraOpThreads) {
    setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(intraOpThreads));
    setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
  }

  /**
   * ONNX Runtime's Java binding extracts its two libraries into the temp directory on every start
   * unless told where they are: copy them once into {@code cacheDir}, under the digest of their
   * bytes, and point it there.
   */
  static void onnxRuntimeNatives(Path cacheDir) {
    if (System.getProperty("onnxruntime.native.path") != null
        || DjlEnvironment.class.getClassLoader().getResource(ORT_LIBRARIES[0]) == null) {
      // set by the user, or not this platform's jar: ONNX Runtime finds its libraries itself
      return;
    }
    try {
      Path dir =
          cacheDir.resolve(
              "onnxruntime-" + ClasspathResources.sha256(ORT_LIBRARIES).substring(0, 16));
      for (String library : ORT_LIBRARIES) {
        ClasspathResources.extractOnce(library, dir);
      }
      System.setProperty("onnxruntime.native.path", dir.toAbsolutePath().toString());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot extract ONNX Runtime's native libraries into " + cacheDir, e);
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
