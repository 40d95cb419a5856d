/*
 * The image-spec documents berth-pull reads and writes, as walker tables: the OCI image index
 * and manifest, the image config, the OCI layout's index.json, and Docker's schema2 manifest and
 * manifest list (which share the OCI shapes, so they share the structs). Only the members
 * berth-pull uses are declared; unknown members are ignored when parsing.
 * This file must stay free of I/O and of any knowledge of registries.
 */
#ifndef OCISPEC_IMAGE_H
#define OCISPEC_IMAGE_H

#include "ocispec.h"

#define OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MEDIA_LAYER "application/vnd.oci.image.layer.v1.tar"
#define OCI_MEDIA_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MEDIA_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MEDIA_LAYER_NONDIST "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define DOCKER_MEDIA_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MEDIA_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MEDIA_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define DOCKER_MEDIA_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define DOCKER_MEDIA_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MEDIA_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_MEDIA_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

struct oci_platform {
	char *architecture;
	char *os;
	char *variant;
	char *os_version;
	char **os_features;
	size_t os_features_len;
};

struct oci_descriptor {
	char *media_type;
	char *digest;
	int64_t size;
	char **urls;
	size_t urls_len;
	struct oci_map annotations;
	struct oci_platform *platform;
	char *artifact_type;
};

/* An OCI image index, a Docker manifest list, or an OCI layout's index.json. */
struct oci_index {
	int32_t schema_version;
	char *media_type;
	struct oci_descriptor *manifests;
	size_t manifests_len;
	struct oci_map annotations;
};

/* An OCI image manifest or a Docker schema2 manifest. */
struct oci_manifest {
	int32_t schema_version;
	char *media_type;
	struct oci_descriptor *config;
	struct oci_descriptor *layers;
	size_t layers_len;
	struct oci_map annotations;
};

struct oci_image_exec_config {
	char *user;
	char *exposed_ports; /* JSON object whose keys matter, kept as JSON text */
	char **env;
	size_t env_len;
	char **entrypoint;
	size_t entrypoint_len;
	char **cmd;
	size_t cmd_len;
	char *volumes; /* JSON object, kept as JSON text */
	char *working_dir;
	struct oci_map labels;
	char *stop_signal;
};

struct oci_image_rootfs {
	char *type;
	char **diff_ids;
	size_t diff_ids_len;
};

struct oci_image_config {
	char *created;
	char *author;
	char *architecture;
	char *os;
	char *variant;
	struct oci_image_exec_config *config;
	struct oci_image_rootfs *rootfs;
	char *history; /* kept as JSON text */
};

/* The OCI layout marker file, "oci-layout". */
struct oci_layout {
	char *image_layout_version;
};

extern const struct oci_type oci_descriptor_type;
extern const struct oci_type oci_index_type;
extern const struct oci_type oci_manifest_type;
extern const struct oci_type oci_image_config_type;
extern const struct oci_type oci_layout_type;
/* Docker's schema2 documents: same shapes, named for messages. */
extern const struct oci_type docker_manifest_list_type;
extern const struct oci_type docker_manifest_type;

#endif
