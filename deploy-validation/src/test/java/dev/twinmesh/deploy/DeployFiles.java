package dev.twinmesh.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the deployment files live, from the test's working directory (this module's folder). */
final class DeployFiles {
  private DeployFiles() {}

  static Path root() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("k8s")) && Files.isDirectory(p.resolve("docker"))) {
        return p;
      }
    }
    throw new IllegalStateException("no k8s/ and docker/ above " + here);
  }

  static Path k8s() {
    return root().resolve("k8s");
  }

  static Path docker() {
    return root().resolve("docker");
  }

  static Path target() {
    return root().resolve("deploy-validation").resolve("target");
  }
}
