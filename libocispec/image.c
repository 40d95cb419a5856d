/*
 * Walker tables for the image-spec documents declared in image.h. Tables only: the generic
 * walker in walker.c does all parsing, generating and freeing. Nothing here may do I/O.
 */
#include "config.h"

#include "image.h"

static const struct oci_field platform_fields[] = {
	OCI_FIELD(struct oci_platform, architecture, "architecture", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct oci_platform, os, "os", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct oci_platform, variant, "variant", OCI_STRING, 0),
	OCI_FIELD(struct oci_platform, os_version, "os.version", OCI_STRING, 0),
	OCI_ARR(struct oci_platform, os_features, "os.features", OCI_STRING, 0),
	OCI_END,
};
static const struct oci_type platform_type = { "platform", sizeof(struct oci_platform),
					       platform_fields };

static const struct oci_field descriptor_fields[] = {
	OCI_FIELD(struct oci_descriptor, media_type, "mediaType", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct oci_descriptor, digest, "digest", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct oci_descriptor, size, "size", OCI_INT64, OCI_REQUIRED),
	OCI_ARR(struct oci_descriptor, urls, "urls", OCI_STRING, 0),
	OCI_FIELD(struct oci_descriptor, annotations, "annotations", OCI_MAP, 0),
	OCI_OBJ(struct oci_descriptor, platform, "platform", platform_type, 0),
	OCI_FIELD(struct oci_descriptor, artifact_type, "artifactType", OCI_STRING, 0),
	OCI_END,
};
const struct oci_type oci_descriptor_type = { "descriptor", sizeof(struct oci_descriptor),
					      descriptor_fields };

static const struct oci_field index_fields[] = {
	OCI_FIELD(struct oci_index, schema_version, "schemaVersion", OCI_INT32, OCI_REQUIRED),
	OCI_FIELD(struct oci_index, media_type, "mediaType", OCI_STRING, 0),
	OCI_OBJARR(struct oci_index, manifests, "manifests", oci_descriptor_type, OCI_REQUIRED),
	OCI_FIELD(struct oci_index, annotations, "annotations", OCI_MAP, 0),
	OCI_END,
};
const struct oci_type oci_index_type = { "image index", sizeof(struct oci_index), index_fields };
const struct oci_type docker_manifest_list_type = { "manifest list", sizeof(struct oci_index),
						    index_fields };

static const struct oci_field manifest_fields[] = {
	OCI_FIELD(struct oci_manifest, schema_version, "schemaVersion", OCI_INT32, OCI_REQUIRED),
	OCI_FIELD(struct oci_manifest, media_type, "mediaType", OCI_STRING, 0),
	OCI_OBJ(struct oci_manifest, config, "config", oci_descriptor_type, OCI_REQUIRED),
	OCI_OBJARR(struct oci_manifest, layers, "layers", oci_descriptor_type, OCI_REQUIRED),
	OCI_FIELD(struct oci_manifest, annotations, "annotations", OCI_MAP, 0),
	OCI_END,
};
const struct oci_type oci_manifest_type = { "image manifest", sizeof(struct oci_manifest),
					    manifest_fields };
const struct oci_type docker_manifest_type = { "schema2 manifest", sizeof(struct oci_manifest),
					       manifest_fields };

static const struct oci_field exec_config_fields[] = {
	OCI_FIELD(struct oci_image_exec_config, user, "User", OCI_STRING, 0),
	OCI_FIELD(struct oci_image_exec_config, exposed_ports, "ExposedPorts", OCI_JSON, 0),
	OCI_ARR(struct oci_image_exec_config, env, "Env", OCI_STRING, 0),
	OCI_ARR(struct oci_image_exec_config, entrypoint, "Entrypoint", OCI_STRING, 0),
	OCI_ARR(struct oci_image_exec_config, cmd, "Cmd", OCI_STRING, 0),
	OCI_FIELD(struct oci_image_exec_config, volumes, "Volumes", OCI_JSON, 0),
	OCI_FIELD(struct oci_image_exec_config, working_dir, "WorkingDir", OCI_STRING, 0),
	OCI_FIELD(struct oci_image_exec_config, labels, "Labels", OCI_MAP, 0),
	OCI_FIELD(struct oci_image_exec_config, stop_signal, "StopSignal", OCI_STRING, 0),
	OCI_END,
};
static const struct oci_type exec_config_type = { "config", sizeof(struct oci_image_exec_config),
						  exec_config_fields };

static const struct oci_field rootfs_fields[] = {
	OCI_FIELD(struct oci_image_rootfs, type, "type", OCI_STRING, OCI_REQUIRED),
	OCI_ARR(struct oci_image_rootfs, diff_ids, "diff_ids", OCI_STRING, OCI_REQUIRED),
	OCI_END,
};
static const struct oci_type rootfs_type = { "rootfs", sizeof(struct oci_image_rootfs),
					     rootfs_fields };

static const struct oci_field image_config_fields[] = {
	OCI_FIELD(struct oci_image_config, created, "created", OCI_STRING, 0),
	OCI_FIELD(struct oci_image_config, author, "author", OCI_STRING, 0),
	OCI_FIELD(struct oci_image_config, architecture, "architecture", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct oci_image_config, os, "os", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct oci_image_config, variant, "variant", OCI_STRING, 0),
	OCI_OBJ(struct oci_image_config, config, "config", exec_config_type, 0),
	OCI_OBJ(struct oci_image_config, rootfs, "rootfs", rootfs_type, OCI_REQUIRED),
	OCI_FIELD(struct oci_image_config, history, "history", OCI_JSON, 0),
	OCI_END,
};
const struct oci_type oci_image_config_type = { "image config", sizeof(struct oci_image_config),
						image_config_fields };

static const struct oci_field layout_fields[] = {
	OCI_FIELD(struct oci_layout, image_layout_version, "imageLayoutVersion", OCI_STRING,
		  OCI_REQUIRED),
	OCI_END,
};
const struct oci_type oci_layout_type = { "oci-layout", sizeof(struct oci_layout), layout_fields };
