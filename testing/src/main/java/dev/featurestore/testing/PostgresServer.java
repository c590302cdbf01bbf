package dev.featurestore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (Debian's {@code postgresql} package, which {@code ./featurestore test}
 * installs) in a temp directory on a free loopback port, owned by the test: the Iceberg catalog and
 * the replicator's lease store of docker-compose.yml, without Docker. Durability is off (fsync),
 * which changes nothing a test can observe.
 *
 * <p>PostgreSQL refuses to run as root: as root the server runs as the package's {@code postgres}
 * user.
 */
public final class PostgresServer implements AutoCloseable {

  public static final String USER = "featurestore";
  public static final String PASSWORD = "featurestore";

  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final Path bin;
  private final Path dir;
  private final int port;
  private Process process;

  private PostgresServer(Path bin, Path dir, int port) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
  }

  public static PostgresServer start() {
    try {
      Path bin = binaries();
      Path dir = Files.createTempDirectory("featurestore-postgres-");
      if (asRoot()) {
        UserPrincipal postgres =
            dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        Files.setOwner(dir, postgres);
      }
      Path passwordFile = dir.resolve("password");
      Files.writeString(passwordFile, PASSWORD);
      if (asRoot()) {
        Files.setOwner(
            passwordFile,
            dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
      }
      run(
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-U",
              USER,
              "--pwfile=" + passwordFile,
              "--auth=scram-sha-256",
              "-E",
              "UTF8",
              "--locale=C",
              "--no-sync"),
          dir.resolve("initdb.log"));
      PostgresServer server = new PostgresServer(bin, dir, Ports.free());
      server.startProcess();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start PostgreSQL", e);
    }
  }

  /** A new, empty database; its JDBC URL. */
  public String createDatabase() {
    String name = "fs_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD);
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot create database " + name, e);
    }
    return jdbcUrl(name);
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public int port() {
    return port;
  }

  private void startProcess() throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                bin.resolve("postgres").toString(),
                "-D",
                dir.resolve("data").toString(),
                "-p",
                Integer.toString(port),
                "-k",
                dir.toString(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200"));
    process =
        new ProcessBuilder(asUser(command))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("postgres.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (Connection ignored = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD)) {
        return;
      } catch (SQLException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "PostgreSQL did not start:\n" + Files.readString(dir.resolve("postgres.log")),
              notYet);
        }
        sleep(100);
      }
    }
  }

  /** Stops the server (fast shutdown: clients are disconnected), keeping its data. */
  public synchronized void stop() {
    if (process != null) {
      try {
        // fast shutdown: disconnect clients, no waiting for them to leave
        run(
            List.of(
                bin.resolve("pg_ctl").toString(),
                "-D",
                dir.resolve("data").toString(),
                "-m",
                "fast",
                "-w",
                "stop"),
            dir.resolve("pg_ctl.log"));
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (IOException | RuntimeException e) {
        process.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  /** Starts the stopped server again on the same port, with its data. */
  public synchronized void restart() {
    stop();
    try {
      startProcess();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot restart PostgreSQL", e);
    }
  }

  @Override
  public synchronized void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind
    }
  }

  private static void run(List<String> command, Path log) throws IOException {
    Process process =
        new ProcessBuilder(asUser(command))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " failed:\n" + Files.readString(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted: " + command, e);
    }
  }

  private static List<String> asUser(List<String> command) {
    if (!asRoot()) {
      return command;
    }
    List<String> asPostgres = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    asPostgres.addAll(command);
    return asPostgres;
  }

  private static boolean asRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** The newest installed server's bin directory (/usr/lib/postgresql/VERSION/bin on Debian). */
  private static Path binaries() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        var newest =
            versions
                .map(version -> version.resolve("bin"))
                .filter(bin -> Files.isExecutable(bin.resolve("postgres")))
                .max(
                    Comparator.comparing(
                        bin ->
                            Integer.parseInt(
                                bin.getParent()
                                    .getFileName()
                                    .toString()
                                    .replaceAll("\\D.*", "0"))));
        if (newest.isPresent()) {
          return newest.get();
        }
      }
    }
    throw new IllegalStateException(
        "PostgreSQL is not installed (./featurestore test installs it: apt-get install -y postgresql)");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
