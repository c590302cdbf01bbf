package dev.featurestore.serving.bench;

import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.testing.Ports;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A serving API in a process of its own, as users run it ({@code java -Xmx512m -jar}), so a
 * benchmark's load generator shares neither its heap nor its JIT.
 */
final class ServingProcess implements AutoCloseable {

  private static final java.util.regex.Pattern BUCKET_BOUND =
      java.util.regex.Pattern.compile("[{,]le=\"([^\"]+)\"");

  private final Process process;
  private final int apiPort;
  private final int managementPort;
  private final Path log;

  /**
   * @param apiPortProperty {@code featurestore.http.port}, or {@code server.port} for builds before
   *     the API had its own port
   */
  ServingProcess(
      String java,
      String jar,
      String apiPortProperty,
      String flags,
      MemcachedServer memcached,
      Path log,
      String... settings)
      throws Exception {
    this.apiPort = Ports.free();
    this.log = log;
    boolean onServerPort = apiPortProperty.equals("server.port");
    this.managementPort = onServerPort ? apiPort : Ports.free();
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-Xmx512m");
    Arrays.stream(flags.split(" ")).filter(f -> !f.isBlank()).forEach(command::add);
    command.add("-jar");
    command.add(jar);
    command.add("--server.port=" + managementPort);
    command.add("--featurestore.http.port=" + (onServerPort ? 0 : apiPort));
    command.add("--featurestore.memcached.servers=" + memcached.address());
    command.addAll(List.of(settings));
    this.process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    awaitAnswer();
  }

  /** This build's jar, on the java running the benchmark. */
  static ServingProcess thisBuild(MemcachedServer memcached, Path log, String... settings)
      throws Exception {
    Path jar =
        Files.list(Path.of("target"))
            .filter(p -> p.getFileName().toString().endsWith("-exec.jar"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no exec jar in target/: mvn package"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ServingProcess(
        java,
        jar.toAbsolutePath().toString(),
        "featurestore.http.port",
        "",
        memcached,
        log,
        settings);
  }

  int apiPort() {
    return apiPort;
  }

  String url() {
    return "http://127.0.0.1:" + apiPort;
  }

  /** A gauge or counter of the process's Prometheus scrape, summed over its series. */
  double metric(String name) throws IOException, InterruptedException {
    double sum = 0;
    for (String line : scrape().split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /**
   * The cumulative counts of a histogram's buckets ({@code <name>_bucket}) by upper bound, summed
   * over the series whose labels hold every fragment.
   */
  java.util.NavigableMap<Double, Double> buckets(String name, String... labelFragments)
      throws IOException, InterruptedException {
    java.util.NavigableMap<Double, Double> counts = new java.util.TreeMap<>();
    for (String line : scrape().split("\n")) {
      if (line.startsWith(name + "_bucket{")
          && java.util.Arrays.stream(labelFragments).allMatch(line::contains)) {
        // the label itself, not the end of another one ("table=...")
        java.util.regex.Matcher le = BUCKET_BOUND.matcher(line);
        if (!le.find()) {
          continue;
        }
        String bound = le.group(1);
        double upper = bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
        double count = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        counts.merge(upper, count, Double::sum);
      }
    }
    return counts;
  }

  private String scrape() throws IOException, InterruptedException {
    return java.net.http.HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(
                        "http://127.0.0.1:" + managementPort + "/actuator/prometheus"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Resident memory now, in KB. */
  long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return -1;
  }

  private void awaitAnswer() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the API exited; its log: " + Files.readString(log));
      }
      try (Socket socket = new Socket("127.0.0.1", apiPort)) {
        socket
            .getOutputStream()
            .write(
                "GET /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (answer.startsWith("HTTP/1.1 200")) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(
        "the API did not answer within 60 s; its log: " + Files.readString(log));
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
