package dev.featurestore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.stream.Stream;

/**
 * Writes one benchmark's section of {@code docs/BENCHMARKS.md} (between markers, replacing the
 * previous run) with the machine it ran on, and prints it.
 */
public final class BenchmarkReport {

  private BenchmarkReport() {}

  /** One line describing this machine: CPU model and count, memory, Java. */
  public static String machine() {
    String cpu = "unknown CPU";
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      cpu =
          lines
              .filter(l -> l.startsWith("model name"))
              .findFirst()
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .orElse(cpu);
    } catch (IOException e) {
      // not Linux: keep "unknown CPU"
    }
    long memMiB = 0;
    try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
      memMiB =
          lines
              .filter(l -> l.startsWith("MemTotal"))
              .findFirst()
              .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024)
              .orElse(0L);
    } catch (IOException e) {
      // not Linux
    }
    return String.format(
        "%d cores (%s), %d MiB RAM, Java %s, %s",
        Runtime.getRuntime().availableProcessors(),
        cpu,
        memMiB,
        System.getProperty("java.version"),
        System.getProperty("os.name"));
  }

  /**
   * Replaces the section named {@code name} in the repository's docs/BENCHMARKS.md and prints it.
   */
  public static void record(String name, String markdownBody) {
    String section =
        "<!-- "
            + name
            + ":start -->\n"
            + markdownBody.strip()
            + "\n\n_Run "
            + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
            + " on "
            + machine()
            + "._\n"
            + "<!-- "
            + name
            + ":end -->";
    System.out.println("\n" + section + "\n");
    Path file = repositoryRoot().resolve("docs").resolve("BENCHMARKS.md");
    try {
      String current =
          Files.exists(file)
              ? Files.readString(file, StandardCharsets.UTF_8)
              : "# Benchmarks\n\nFigures measured by `./featurestore bench ...`; each run replaces its own section.\n";
      int start = current.indexOf("<!-- " + name + ":start -->");
      int end = current.indexOf("<!-- " + name + ":end -->");
      String updated =
          start >= 0 && end > start
              ? current.substring(0, start)
                  + section
                  + current.substring(end + ("<!-- " + name + ":end -->").length())
              : current.stripTrailing() + "\n\n" + section + "\n";
      Files.createDirectories(file.getParent());
      Files.writeString(file, updated, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  private static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("featurestore"))) {
      dir = dir.getParent();
    }
    return dir == null ? Path.of("").toAbsolutePath() : dir;
  }
}
