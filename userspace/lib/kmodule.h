/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading and unloading vmlab.ko from a test: finit_module(2) of the file
 * that $VMLAB_KO names (the vm-run guests set it) and delete_module(2).
 */
#ifndef _VMLAB_KMODULE_H
#define _VMLAB_KMODULE_H

#include <stdbool.h>

/**
 * vl_module_loaded() - whether vmlab is loaded
 *
 * Return: true when /sys/module/vmlab exists.
 */
bool vl_module_loaded(void);

/**
 * vl_module_load() - load the vmlab.ko that $VMLAB_KO names
 * @args: module parameters, e.g. "store_size=4M"; "" for none
 *
 * Return: 0, -ENOENT when VMLAB_KO is unset or empty, or the -errno of
 * open(2) or finit_module(2).
 */
int vl_module_load(const char *args);

/**
 * vl_module_unload() - unload vmlab
 * @wait_ms: how long to retry while vmlab is in use (references of a
 *	process that is still exiting); 0 tries once
 *
 * Return: 0, or the -errno of delete_module(2) (-EWOULDBLOCK while in use).
 */
int vl_module_unload(unsigned int wait_ms);

#endif /* _VMLAB_KMODULE_H */
