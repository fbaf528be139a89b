package dev.twinmesh.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPostgresServerTest {
  @TempDir static Path dataDir;
  private static EmbeddedPostgresServer postgres;

  @BeforeAll
  static void startPostgres() {
    postgres = new EmbeddedPostgresServer();
    postgres.start(dataDir, 0);
  }

  @AfterAll
  static void stopPostgres() {
    postgres.close();
  }

  @Test
  void answersQueriesInItsOwnDatabase() throws Exception {
    try (Connection connection = connect(); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT current_database(), current_user, 40 + 2")) {
      assertTrue(rows.next());
      assertEquals(EmbeddedPostgresServer.DATABASE, rows.getString(1));
      assertEquals(postgres.user(), rows.getString(2));
      assertEquals(42, rows.getInt(3));
    }
  }

  @Test
  void restartOnSameDirectoryKeepsRows() throws Exception {
    try (Connection connection = connect(); Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE kept_notes (id int PRIMARY KEY, body text)");
      statement.execute("INSERT INTO kept_notes VALUES (1, 'first'), (2, 'second')");
    }

    postgres.close();
    postgres = new EmbeddedPostgresServer();
    postgres.start(dataDir, 0);

    List<String> bodies = new ArrayList<>();
    try (Connection connection = connect(); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT body FROM kept_notes ORDER BY id")) {
      while (rows.next()) {
        bodies.add(rows.getString(1));
      }
    }
    assertEquals(List.of("first", "second"), bodies);
  }

  private static Connection connect() throws Exception {
    return DriverManager.getConnection(postgres.jdbcUrl());
  }
}
