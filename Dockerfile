# The controller image: a jlink-trimmed Java runtime (modules from jdeps) and the shaded jar on
# distroless/base-debian12 (glibc, no shell, no package manager), running as the non-root user 65532.
#   docker build -t karpenter-java/controller:0.1.0 .        # or: buildah bud -t karpenter-java/controller:0.1.0 .
# Needs registries (Docker Hub, gcr.io, Maven Central). Without them, hack/image.sh builds the same
# layout from this machine's JDK and Debian libraries and loads it into containerd (README, Install).

FROM docker.io/library/eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY src src
COPY docs/examples docs/examples
COPY crds crds
RUN ./mvnw -B -q -DskipTests package
# The runtime: only the modules the jar uses.
RUN jlink --add-modules "$(jdeps --ignore-missing-deps --print-module-deps --multi-release 21 target/karpenter.jar)" \
      --strip-debug --no-man-pages --no-header-files --compress zip-6 --output /opt/java

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /opt/java /opt/java
COPY --from=build /src/target/karpenter.jar /app/karpenter.jar
ENV PATH=/opt/java/bin JAVA_HOME=/opt/java \
    JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData"
USER 65532:65532
WORKDIR /home/nonroot
EXPOSE 8080 8081
# The JVM reads the container's memory limit (cgroups); the chart overrides JDK_JAVA_OPTIONS
# (controller.maxRAMPercentage, logLevel, controller.javaOpts).
ENTRYPOINT ["/opt/java/bin/java", "--sun-misc-unsafe-memory-access=allow", "-jar", "/app/karpenter.jar"]
CMD ["controller"]
