package dev.twinmesh.app;

import picocli.CommandLine;

/** The real {@code twin-mesh} command spec, for checking deployment arguments without running anything. */
public final class TwinMeshCli {
  private TwinMeshCli() {}

  public static CommandLine commandLine() {
    return TwinMesh.commandLine();
  }
}
