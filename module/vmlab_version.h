/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab's version, written in this one place: MODULE_VERSION of vmlab.ko,
 * "vmlab --version", the man page's footer and DKMS's PACKAGE_VERSION
 * (dkms.conf reads the define below) all take it from here.
 */
#ifndef _VMLAB_VERSION_H
#define _VMLAB_VERSION_H

#define VMLAB_VERSION "1.0.0"

#endif /* _VMLAB_VERSION_H */
