package dev.featurestore.writer.embedding;

/**
 * Keeps DJL off the network: without these switches it contacts a telemetry endpoint at engine start and at
 * every tokenizer creation. Applied before any DJL class reads them; explicit settings by the user win.
 */
final class DjlOffline {

  private DjlOffline() {}

  static void enforce(java.nio.file.Path cacheDir) {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("OPT_OUT_TRACKING", "true");
    // natives (tokenizers, ONNX Runtime) are extracted here instead of ~/.djl.ai
    if (System.getenv("DJL_CACHE_DIR") == null) {
      setIfAbsent("DJL_CACHE_DIR", cacheDir.toAbsolutePath().toString());
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
