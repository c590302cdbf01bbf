package dev.featurestore.api;

/** Argument checks whose messages name the bad value, in the style of Iceberg's relocated Guava. */
public final class Preconditions {

  private Preconditions() {}

  public static void checkArgument(boolean condition, String messageTemplate, Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(messageTemplate, args));
    }
  }

  public static void checkState(boolean condition, String messageTemplate, Object... args) {
    if (!condition) {
      throw new IllegalStateException(String.format(messageTemplate, args));
    }
  }
}
