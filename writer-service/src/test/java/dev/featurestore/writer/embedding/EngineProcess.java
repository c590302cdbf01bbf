package dev.featurestore.writer.embedding;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs {@link EngineProbe} in a fresh JVM, so what it loads and the memory it uses are one engine's
 * alone. The child gets the test classpath and a private temp directory, but none of the DJL
 * settings of the test JVM: it configures itself as the writer does.
 */
record EngineProcess(List<String> output) {

  static EngineProcess run(EmbeddingEngine engine, Path cacheDir, String... benchArgs)
      throws IOException, InterruptedException {
    Path tmp =
        Path.of("target", "probe-tmp-" + engine.name().toLowerCase(java.util.Locale.ROOT))
            .toAbsolutePath();
    java.nio.file.Files.createDirectories(tmp);
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-Djava.io.tmpdir=" + tmp,
                "-cp",
                System.getProperty("java.class.path"),
                EngineProbe.class.getName(),
                engine.name(),
                cacheDir.toAbsolutePath().toString()));
    command.addAll(List.of(benchArgs));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // libtorch's OpenMP threads spin-wait by default, which starves everything else on a small
    // machine
    builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    builder.environment().remove("DJL_CACHE_DIR");
    Process process = builder.start();
    String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
      throw new IllegalStateException("EngineProbe " + engine + " failed:\n" + text);
    }
    return new EngineProcess(text.lines().toList());
  }

  /** Values of {@code key: value} lines, in order. */
  List<String> values(String key) {
    return output.stream()
        .filter(line -> line.startsWith(key + ": "))
        .map(line -> line.substring(key.length() + 2))
        .toList();
  }

  String value(String key) {
    List<String> values = values(key);
    if (values.isEmpty()) {
      throw new IllegalStateException(
          "No " + key + " in the probe's output:\n" + String.join("\n", output));
    }
    return values.get(0);
  }

  List<String> mapped(String libraryName) {
    return values("mapped").stream()
        .filter(path -> path.contains(libraryName))
        .collect(Collectors.toList());
  }
}
