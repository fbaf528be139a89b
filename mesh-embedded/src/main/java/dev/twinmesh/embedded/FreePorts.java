package dev.twinmesh.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks a loopback port nobody listens on, for servers that must be told their port before they bind. */
final class FreePorts {
  private FreePorts() {}

  /** Returns {@code requested} unless it is 0, in which case the OS picks a free port. */
  static int resolve(int requested) {
    if (requested < 0 || requested > 65_535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + requested);
    }
    return requested != 0 ? requested : pick();
  }

  static int pick() {
    // The port is released again before the server binds it; the window is tiny and only matters when
    // another process grabs ports at random in that instant.
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
