package dev.featurestore.training;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import org.apache.iceberg.exceptions.NoSuchTableException;

/**
 * {@code dataset create NAME [--as-of TIMESTAMP] [--retain DURATION]}, {@code dataset list}, {@code
 * dataset drop NAME}: the datasets (Iceberg tags) training sets can be pinned to.
 */
final class DatasetCommand {

  static final String USAGE =
      "usage: dataset create NAME [--as-of RFC3339] [--retain DURATION] | dataset list | dataset"
          + " drop NAME; options: "
          + StoreOptions.USAGE;

  private DatasetCommand() {}

  /** {@code 90d}, {@code 12h}, {@code 30m} or {@code 45s}. */
  private static Duration duration(String value) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("([1-9][0-9]{0,9})([smhd])").matcher(value);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "Invalid --retain: " + value + " (a number and s, m, h or d: 90d)");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofDays(amount);
    };
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    Deque<String> rest = new ArrayDeque<>(args);
    String action = rest.poll();
    if (action == null || !List.of("create", "list", "drop").contains(action)) {
      return Commands.usage(err, "dataset", "create, list or drop?", USAGE);
    }
    String name = null;
    if (!action.equals("list")) {
      name = rest.poll();
      if (name == null || name.startsWith("--")) {
        return Commands.usage(err, "dataset", action + " needs a NAME", USAGE);
      }
    }
    Instant asOf = null;
    Duration retain = null;
    try (StoreOptions store = new StoreOptions()) {
      while (!rest.isEmpty()) {
        String flag = rest.poll();
        if (rest.isEmpty()) {
          return Commands.usage(err, "dataset", flag + " needs a value", USAGE);
        }
        String value = rest.poll();
        if (action.equals("create") && flag.equals("--as-of")) {
          asOf = OffsetDateTime.parse(value).toInstant();
        } else if (action.equals("create") && flag.equals("--retain")) {
          retain = duration(value);
        } else if (!store.accept(flag, value)) {
          return Commands.usage(err, "dataset", "unknown option " + flag, USAGE);
        }
      }
      Datasets datasets = new Datasets(store.loadTable());
      switch (action) {
        case "create" -> {
          Datasets.Dataset made = datasets.create(name, asOf, retain);
          out.printf(
              Locale.ROOT,
              "dataset %s pins snapshot %d (%s)%s%n",
              made.name(),
              made.snapshotId(),
              made.snapshotTime(),
              made.retention() == null ? ", kept until dropped" : ", kept " + made.retention());
        }
        case "drop" -> {
          datasets.drop(name);
          out.println("dataset " + name + " dropped");
        }
        default -> {
          for (Datasets.Dataset dataset : datasets.list()) {
            out.printf(
                Locale.ROOT,
                "%s\tsnapshot %d\t%s\t%s%n",
                dataset.name(),
                dataset.snapshotId(),
                dataset.snapshotTime(),
                dataset.retention() == null ? "kept until dropped" : "kept " + dataset.retention());
          }
        }
      }
      return 0;
    } catch (DateTimeParseException e) {
      return Commands.fail(err, "dataset", "unparseable --as-of: " + e.getParsedString());
    } catch (IllegalArgumentException | NoSuchTableException e) {
      return Commands.fail(err, "dataset", e.getMessage());
    } catch (RuntimeException e) {
      return Commands.fail(err, "dataset", "failed: " + e);
    }
  }
}
