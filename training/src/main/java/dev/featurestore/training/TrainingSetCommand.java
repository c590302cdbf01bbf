package dev.featurestore.training;

import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.exceptions.NoSuchTableException;

/**
 * {@code ./featurestore training-set --entities FILE --out FILE.parquet [--dataset NAME]}: the
 * training set of an entity file, from the store's catalog. Exit codes: 0 written, 1 bad input or a
 * failure (one line on stderr, nothing written), 2 bad usage.
 */
public final class TrainingSetCommand {

  static final String USAGE =
      "usage: training-set --entities FILE.csv --out FILE.parquet [--dataset NAME]"
          + " [--state-dir DIR] [--catalog-property KEY=VALUE]... [--table NAMESPACE.TABLE]";

  private TrainingSetCommand() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, String> options = new LinkedHashMap<>();
    Map<String, String> catalogProperties = new LinkedHashMap<>();
    Deque<String> rest = new ArrayDeque<>(List.of(args));
    while (!rest.isEmpty()) {
      String flag = rest.poll();
      if (rest.isEmpty()) {
        err.println("training-set: " + flag + " needs a value\n" + USAGE);
        return 2;
      }
      String value = rest.poll();
      switch (flag) {
        case "--entities", "--out", "--dataset", "--state-dir", "--table" ->
            options.put(flag, value);
        case "--catalog-property" -> {
          int eq = value.indexOf('=');
          if (eq <= 0) {
            err.println("training-set: --catalog-property takes KEY=VALUE, not " + value);
            return 2;
          }
          catalogProperties.put(value.substring(0, eq), value.substring(eq + 1));
        }
        default -> {
          err.println("training-set: unknown option " + flag + "\n" + USAGE);
          return 2;
        }
      }
    }
    if (!options.containsKey("--entities") || !options.containsKey("--out")) {
      err.println("training-set: --entities and --out are required\n" + USAGE);
      return 2;
    }
    Path entities = Path.of(options.get("--entities"));
    Path output = Path.of(options.get("--out"));
    if (!Files.isRegularFile(entities)) {
      err.println("training-set: " + entities + ": no such file");
      return 1;
    }
    if (output.toAbsolutePath().getParent() == null
        || !Files.isDirectory(output.toAbsolutePath().getParent())) {
      err.println("training-set: " + output + ": its directory does not exist");
      return 1;
    }
    CatalogSettings defaults = CatalogSettings.defaults();
    Map<String, String> properties = new LinkedHashMap<>(defaults.properties());
    properties.putAll(catalogProperties);
    CatalogSettings settings =
        new CatalogSettings(
            defaults.name(), options.getOrDefault("--table", defaults.table()), properties);
    Path stateDir = Path.of(options.getOrDefault("--state-dir", ".featurestore"));
    Catalog catalog = null;
    try {
      catalog = settings.load(stateDir);
      Table table = catalog.loadTable(FeatureTable.identifier(settings.table()));
      TrainingSet trainingSet = TrainingSet.of(table);
      if (options.containsKey("--dataset")) {
        trainingSet = trainingSet.dataset(options.get("--dataset"));
      }
      Progress progress = new Progress(err, System.console() != null);
      TrainingSet.Summary summary = trainingSet.progress(progress::update).write(entities, output);
      progress.finish();
      out.printf(
          Locale.ROOT,
          "wrote %,d rows (%,d found, %,d not) to %s in %.1f s, from snapshot %s (%,d versions)%n",
          summary.rows(),
          summary.found(),
          summary.rows() - summary.found(),
          output,
          summary.millis() / 1000.0,
          summary.snapshotId(),
          summary.tableVersions());
      return 0;
    } catch (EntityFileException | IllegalArgumentException e) {
      err.println("training-set: " + e.getMessage());
      return 1;
    } catch (NoSuchTableException e) {
      err.println(
          "training-set: no table " + settings.table() + " in the catalog: " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      err.println("training-set: failed: " + e);
      return 1;
    } finally {
      if (catalog instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          // the run's outcome is already decided
        }
      }
    }
  }

  /** A progress line on a terminal, rewritten in place; nothing when output is redirected. */
  private static final class Progress {
    private final PrintStream err;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private boolean shown;

    Progress(PrintStream err, boolean terminal) {
      this.err = err;
      this.terminal = terminal;
    }

    void update(long rows) {
      if (terminal) {
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        err.printf(Locale.ROOT, "\rtraining-set: %,d rows (%,.0f rows/s)", rows, rows / seconds);
        shown = true;
      }
    }

    void finish() {
      if (shown) {
        err.println();
      }
    }
  }
}
