package dev.twinmesh.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real PostgreSQL (zonky's binaries, extracted from a jar) run as a child process with a data directory
 * that survives restarts, for {@code twin-mesh up} and for tests. It listens on loopback only and uses
 * trust authentication there, so the password is not checked.
 *
 * <p>Running as root: PostgreSQL refuses to start as root. When the JVM is root, zonky starts initdb,
 * pg_ctl and postgres under {@code unshare -U}, in a new user namespace where they run as the overflow
 * user (nobody) without privileges; files still belong to root outside. That needs util-linux's
 * {@code unshare} and user namespaces allowed by the kernel (and by the container's seccomp profile).
 * Where they are not, {@link #start} fails at once with a message saying so, instead of initdb's
 * "cannot be run as root".
 *
 * <p>{@link #start} and {@link #close} block (seconds): call them from a main or worker thread, never
 * from an event loop.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

  public static final String HOST = "localhost";
  public static final String DATABASE = "twinmesh";
  public static final String USER = "postgres";
  /** Trust authentication on loopback: any password is accepted; clients that need one can send this. */
  public static final String PASSWORD = "";

  private EmbeddedPostgres postgres;
  private boolean closed;

  /**
   * Starts PostgreSQL on {@code dataDir} (initialised on first use, reused afterwards) and port
   * ({@code 0} picks a free one), and creates the {@value #DATABASE} database when it is missing.
   */
  public synchronized void start(Path dataDir, int port) {
    if (postgres != null || closed) {
      throw new IllegalStateException("an EmbeddedPostgresServer starts once; create a new one to start again");
    }
    requireUnprivilegedOrUnshare();
    try {
      Files.createDirectories(dataDir);
      postgres = EmbeddedPostgres.builder()
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setPort(FreePorts.resolve(port))
          // zonky tunes for throwaway test databases (fsync and synchronous commit off); this data
          // directory is kept, and the trace consumer commits Kafka offsets once a write returns.
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .start();
      createDatabaseIfMissing();
      LOG.info("Embedded PostgreSQL ready on {}:{} with data in {}", HOST, port(), dataDir);
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir, e);
    } catch (SQLException e) {
      close();
      throw new IllegalStateException("cannot create database " + DATABASE, e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  public String host() {
    return HOST;
  }

  public synchronized int port() {
    if (postgres == null) {
      throw new IllegalStateException("embedded PostgreSQL is not started");
    }
    return postgres.getPort();
  }

  public String database() {
    return DATABASE;
  }

  public String user() {
    return USER;
  }

  public String password() {
    return PASSWORD;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + HOST + ":" + port() + "/" + DATABASE + "?user=" + USER;
  }

  /** Stops PostgreSQL (fast shutdown) and keeps the data directory. Safe after a failed start. */
  @Override
  public synchronized void close() {
    closed = true;
    if (postgres == null) {
      return;
    }
    try {
      postgres.close();
    } catch (IOException e) {
      LOG.warn("Embedded PostgreSQL did not stop cleanly", e);
    } finally {
      postgres = null;
    }
  }

  private void createDatabaseIfMissing() throws SQLException {
    try (Connection connection = postgres.getPostgresDatabase().getConnection()) {
      try (PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
        exists.setString(1, DATABASE);
        try (ResultSet rows = exists.executeQuery()) {
          if (rows.next()) {
            return;
          }
        }
      }
      try (Statement create = connection.createStatement()) {
        create.execute("CREATE DATABASE " + DATABASE);
      }
    }
  }

  private static void requireUnprivilegedOrUnshare() {
    if (isRoot() && !LinuxUtils.isUnshareAvailable()) {
      throw new IllegalStateException("PostgreSQL refuses to run as root, and 'unshare -U' (a user namespace "
          + "in which it runs unprivileged) is not available here. Run twin-mesh as a non-root user, or "
          + "install util-linux and allow unprivileged user namespaces.");
    }
  }

  private static boolean isRoot() {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return false;
    }
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
