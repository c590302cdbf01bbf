package dev.featurestore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Ports for test servers, and for clients that must find nothing listening. */
public final class Ports {

  private Ports() {}

  /** A port nothing listens on right now (the OS's choice, released before returning). */
  public static int free() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free port", e);
    }
  }
}
