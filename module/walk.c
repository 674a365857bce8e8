// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table walker: VMLAB_IOC_WALK reports the entries of a process's
 * page tables, every level, with the x86-64 bits decoded (vmlab_uapi.h).
 *
 * The tables are read under the locks the kernel takes to change them, as
 * its own walkers (mm/pagewalk.c, not exported) read them:
 * - mmap_lock for reading, and only inside VMAs: the tables from the PGD to
 *   the PMD tables under a VMA stay while it is held (munmap frees a
 *   range's tables after detaching its VMAs, with mmap_lock downgraded to
 *   reading, so a range without a VMA is never walked);
 * - a PUD or PMD leaf, or a non-present PMD (a migration entry), is read
 *   under its table's lock (pud_lock(), pmd_lock()), which the kernel holds
 *   to split, zap or migrate it;
 * - a PTE table is mapped as __pte_offset_map_lock() (6.5, not exported)
 *   maps it: the PMD read under RCU (since 6.5 khugepaged retracts a PTE
 *   table without mmap_lock and frees it after a grace period), the PTE
 *   lock taken and the PMD found unchanged under it;
 * - in a hugetlb VMA the file's i_mmap_rwsem is held for reading:
 *   huge_pmd_unshare() needs it for writing to drop a shared PMD table.
 * The entries are gathered in a buffer and copied to the caller once every
 * lock is dropped: a copy_to_user() fault under the target's mmap_lock
 * could wait on that lock (the caller may walk itself).
 */
#include <linux/capability.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/swapops.h>
#include <linux/uaccess.h>

#include "vmlab.h"

#ifdef CONFIG_X86_64

/**
 * struct vmlab_walker - one walk in progress
 * @mm: the address space walked
 * @vma: the VMA walked now
 * @out: the entries found, @nr of @max
 * @nr: entries filled
 * @max: room in @out
 * @next: when the walk stopped for want of room in @out, the address the
 *	caller resumes from
 * @stopped: an entry found no room in @out
 * @seen: per upper level, the address of the entry reported last: VMAs
 *	that share a table see its upper entries once
 */
struct vmlab_walker {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct vmlab_walk_entry *out;
	u32 nr;
	u32 max;
	unsigned long next;
	bool stopped;
	unsigned long seen[VMLAB_LEVEL_PTE];
};

static u64 vmlab_hw_bits(u64 raw, unsigned int level, bool large);

/*
 * The next free entry, for the entry at @entryp of @level that translates
 * @addr; NULL when @out is full, and the walk is to resume at @pos.
 */
static struct vmlab_walk_entry *vmlab_walk_slot(struct vmlab_walker *w, unsigned int level,
						unsigned long addr, u64 raw, const void *entryp,
						unsigned long pos)
{
	struct vmlab_walk_entry *e;

	if (w->nr == w->max) {
		w->next = pos;
		w->stopped = true;
		return NULL;
	}
	e = &w->out[w->nr++];
	memset(e, 0, sizeof(*e));
	e->level = level;
	e->addr = addr;
	e->raw = raw;
	e->table_pfn = PFN_DOWN(__pa(entryp));
	return e;
}

/*
 * Report the entry @raw at @entryp of upper @level, translating @addr, that
 * points at the table at @pfn; unless reported already by this walk.
 * Return: false when @out is full.
 */
static bool vmlab_walk_upper(struct vmlab_walker *w, unsigned int level, unsigned long addr,
			     u64 raw, const void *entryp, unsigned long pos, unsigned long pfn)
{
	struct vmlab_walk_entry *e;

	if (w->seen[level] == addr)
		return true;
	e = vmlab_walk_slot(w, level, addr, raw, entryp, pos);
	if (!e)
		return false;
	w->seen[level] = addr;
	e->bits = vmlab_hw_bits(raw, level, false);
	e->what = VMLAB_WHAT_TABLE;
	e->pfn = pfn;
	if (level == VMLAB_LEVEL_P4D && !pgtable_l5_enabled())
		e->bits |= VMLAB_E_FOLDED;
	return true;
}

/*
 * x86-64's bits of the entry @raw at @level; @large: a PUD or PMD leaf.  A
 * PROT_NONE entry (present to the kernel, not to the CPU) has its bits
 * decoded but VMLAB_E_PROTNONE instead of VMLAB_E_PRESENT: its bit 8 is
 * the kernel's _PAGE_PROTNONE, not the CPU's global bit.
 */
static u64 vmlab_hw_bits(u64 raw, unsigned int level, bool large)
{
	u64 bits;

	if (raw & _PAGE_PRESENT)
		bits = VMLAB_E_PRESENT | ((raw & _PAGE_GLOBAL) ? VMLAB_E_GLOBAL : 0);
	else if (raw & _PAGE_PROTNONE)
		bits = VMLAB_E_PROTNONE;
	else
		return 0;
	if (raw & _PAGE_RW)
		bits |= VMLAB_E_RW;
	if (raw & _PAGE_USER)
		bits |= VMLAB_E_USER;
	if (raw & _PAGE_PWT)
		bits |= VMLAB_E_PWT;
	if (raw & _PAGE_PCD)
		bits |= VMLAB_E_PCD;
	if (raw & _PAGE_ACCESSED)
		bits |= VMLAB_E_ACCESSED;
	if (raw & _PAGE_DIRTY)
		bits |= VMLAB_E_DIRTY;
	if (level != VMLAB_LEVEL_PTE && (raw & _PAGE_PSE))
		bits |= VMLAB_E_PSE;
	if (level == VMLAB_LEVEL_PTE ? raw & _PAGE_PAT : large && (raw & _PAGE_PAT_LARGE))
		bits |= VMLAB_E_PAT;
	if (raw & _PAGE_NX)
		bits |= VMLAB_E_NX;
	return bits;
}

/* The software bits the kernel keeps in a present leaf @raw. */
static u64 vmlab_sw_bits(u64 raw)
{
	u64 bits = 0;

	if (raw & _PAGE_SPECIAL)
		bits |= VMLAB_E_SPECIAL;
	if (raw & _PAGE_SOFT_DIRTY)
		bits |= VMLAB_E_SOFT_DIRTY;
	if (raw & _PAGE_DEVMAP)
		bits |= VMLAB_E_DEVMAP;
	if (raw & _PAGE_UFFD_WP)
		bits |= VMLAB_E_UFFD_WP;
	return bits;
}

/*
 * A non-present, non-empty entry: a swap entry, or one of the kernel's
 * other kinds kept in the same format.  x86-64 keeps PMD entries (a THP
 * under migration, a hugetlb page's) in the PTE's format: one decoder.
 */
static void vmlab_walk_swap(struct vmlab_walk_entry *e, u64 raw)
{
	pte_t pte = __pte(raw);
	swp_entry_t swp = pte_to_swp_entry(pte);

	e->what = VMLAB_WHAT_SWAP;
	e->swap_type = swp_type(swp);
	e->swap_offset = swp_offset(swp);
	if (pte_swp_soft_dirty(pte))
		e->bits |= VMLAB_E_SOFT_DIRTY;
	if (pte_swp_uffd_wp(pte))
		e->bits |= VMLAB_E_UFFD_WP;
	if (pte_swp_exclusive(pte))
		e->bits |= VMLAB_E_EXCLUSIVE;
	if (!non_swap_entry(swp)) {
		e->bits |= VMLAB_E_SWAP;
		return;
	}
	if (is_migration_entry(swp)) {
		e->bits |= VMLAB_E_MIGRATION;
		if (is_writable_migration_entry(swp))
			e->bits |= VMLAB_E_MIGRATION_WRITE;
		if (is_readable_exclusive_migration_entry(swp))
			e->bits |= VMLAB_E_EXCLUSIVE;
	} else if (is_hwpoison_entry(swp)) {
		e->bits |= VMLAB_E_HWPOISON;
	} else if (is_device_private_entry(swp)) {
		e->bits |= VMLAB_E_DEVICE_PRIVATE;
	} else if (is_pte_marker_entry(swp)) {
		e->bits |= VMLAB_E_MARKER;
	}
	/* Else another of the kernel's own types (device-exclusive, ...): @swap_type says which. */
	if (is_pfn_swap_entry(swp))
		e->swap_offset = swp_offset_pfn(swp);
}

/*
 * What the present leaf @e maps at @pfn.  The caller holds the lock of the
 * entry, so the page stays mapped (and so allocated) meanwhile, and RCU
 * (the PTE path's, or the spinlock's), which keeps a page cache's inode
 * and superblock from being freed while read.  Only a normal entry
 * (vm_normal_page()'s sense: on x86-64 a PTE that is not special; a PMD
 * or PUD leaf outside VM_PFNMAP and VM_MIXEDMAP VMAs, as 6.1 marks no PMD
 * special) is known to map a page whose mapping field may be read.
 */
static void vmlab_walk_page(struct vmlab_walker *w, struct vmlab_walk_entry *e,
			    unsigned long pfn, bool pmd_level)
{
	bool normal = !(e->bits & (VMLAB_E_SPECIAL | VMLAB_E_DEVMAP)) &&
		      (!pmd_level || !(w->vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)));
	struct address_space *mapping;
	struct folio *folio;
	struct page *page;

	e->pfn = pfn;
	if (is_zero_pfn(pfn)) {
		e->what = VMLAB_WHAT_ZERO;
		return;
	}
	page = pfn_to_online_page(pfn);
	if (!page) {
		e->what = VMLAB_WHAT_PFN;
		return;
	}
	folio = page_folio(page);
	e->order = folio_order(folio);
	if (folio_test_hugetlb(folio)) {
		e->what = VMLAB_WHAT_HUGETLB;
		return;
	}
	e->what = VMLAB_WHAT_PAGE;
	if (!normal)
		return;
	if (folio_test_ksm(folio)) {
		e->what = VMLAB_WHAT_KSM;
	} else if (folio_test_anon(folio)) {
		e->what = VMLAB_WHAT_ANON;
	} else {
		mapping = READ_ONCE(folio->mapping);
		if (mapping && !((unsigned long)mapping & PAGE_MAPPING_FLAGS)) {
			e->what = VMLAB_WHAT_FILE;
			e->ino = mapping->host->i_ino;
			e->dev = mapping->host->i_sb->s_dev;
		} else if (pmd_level && !mapping && e->order == HPAGE_PMD_ORDER &&
			   !(e->bits & VMLAB_E_RW)) {
			/*
			 * Neither anonymous nor cached, PMD-mapped by a normal
			 * entry: the huge zero page (is_huge_zero_pmd() reads a
			 * variable the kernel does not export).
			 */
			e->what = VMLAB_WHAT_ZERO;
		}
	}
}

/* Fill @e for the leaf or non-present entry @raw at @level. */
static void vmlab_walk_leaf(struct vmlab_walker *w, struct vmlab_walk_entry *e,
			    unsigned int level, u64 raw)
{
	pte_t pte = __pte(raw);

	e->bits = vmlab_hw_bits(raw, level, level != VMLAB_LEVEL_PTE);
	if (!(e->bits & (VMLAB_E_PRESENT | VMLAB_E_PROTNONE))) {
		vmlab_walk_swap(e, raw);
		return;
	}
	e->bits |= VMLAB_E_LEAF | vmlab_sw_bits(raw);
	e->pkey = (raw >> _PAGE_BIT_PKEY_BIT0) & 0xf;
	if (level == VMLAB_LEVEL_PTE) {
		if (pte_write(pte))
			e->bits |= VMLAB_E_WRITE;
		if (pte_dirty(pte))
			e->bits |= VMLAB_E_KDIRTY;
		vmlab_walk_page(w, e, pte_pfn(pte), false);
		return;
	}
	if (level == VMLAB_LEVEL_PMD) {
		pmd_t pmd = __pmd(raw);

		if (pmd_write(pmd))
			e->bits |= VMLAB_E_WRITE;
		if (pmd_dirty(pmd))
			e->bits |= VMLAB_E_KDIRTY;
		vmlab_walk_page(w, e, pmd_pfn(pmd), true);
		return;
	}
	if (pud_write(__pud(raw)))
		e->bits |= VMLAB_E_WRITE;
	if (pud_dirty(__pud(raw)))
		e->bits |= VMLAB_E_KDIRTY;
	vmlab_walk_page(w, e, pud_pfn(__pud(raw)), true);
}

/*
 * The PTEs of [@addr, @end) in the table @pmd points at.
 * Return: 0; -EAGAIN when the PMD changed before its table was locked.
 */
static int vmlab_walk_ptes(struct vmlab_walker *w, pmd_t *pmdp, pmd_t pmd,
			   unsigned long addr, unsigned long end)
{
	struct vmlab_walk_entry *e;
	pte_t *ptep, pte;
	spinlock_t *ptl;	/* the PTE table's lock */
	int ret = 0;

	/* The table is reached from a PMD read under RCU, which keeps it until unlocked. */
	rcu_read_lock();
	if (!pmd_same(pmd, READ_ONCE(*pmdp))) {
		rcu_read_unlock();
		return -EAGAIN;
	}
	ptep = pte_offset_kernel(&pmd, addr);
	ptl = pte_lockptr(w->mm, &pmd);
	spin_lock(ptl);
	if (!pmd_same(pmd, READ_ONCE(*pmdp))) {
		ret = -EAGAIN;
		goto out;
	}
	for (; addr < end; ptep++, addr += PAGE_SIZE) {
		pte = ptep_get(ptep);
		if (pte_none(pte))
			continue;
		e = vmlab_walk_slot(w, VMLAB_LEVEL_PTE, addr, pte_val(pte), ptep, addr);
		if (!e)
			break;
		vmlab_walk_leaf(w, e, VMLAB_LEVEL_PTE, pte_val(pte));
	}
out:
	spin_unlock(ptl);
	rcu_read_unlock();
	return ret;
}

/* A PMD leaf or non-present PMD, under the PMD's lock; -EAGAIN if it became a table or none. */
static int vmlab_walk_pmd_leaf(struct vmlab_walker *w, pmd_t *pmdp, unsigned long addr)
{
	struct vmlab_walk_entry *e;
	spinlock_t *ptl;	/* the PMD table's lock */
	pmd_t pmd;
	int ret = 0;

	ptl = pmd_lock(w->mm, pmdp);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd) || (pmd_present(pmd) && !pmd_leaf(pmd))) {
		ret = -EAGAIN;
		goto out;
	}
	e = vmlab_walk_slot(w, VMLAB_LEVEL_PMD, addr & PMD_MASK, pmd_val(pmd), pmdp, addr);
	if (e)
		vmlab_walk_leaf(w, e, VMLAB_LEVEL_PMD, pmd_val(pmd));
out:
	spin_unlock(ptl);
	return ret;
}

static int vmlab_walk_pmds(struct vmlab_walker *w, pud_t *pudp, unsigned long addr,
			   unsigned long end)
{
	pmd_t *pmdp = pmd_offset(pudp, addr);
	unsigned long next;
	u32 nr;
	pmd_t pmd;

	do {
		next = pmd_addr_end(addr, end);
again:
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		/* A 64-bit entry: one read, as pmdp_get_lockless() on x86-64. */
		pmd = READ_ONCE(*pmdp);
		if (pmd_none(pmd))
			continue;
		if (!pmd_present(pmd) || pmd_leaf(pmd)) {
			if (vmlab_walk_pmd_leaf(w, pmdp, addr))
				goto again;
			continue;
		}
		nr = w->nr;
		if (!vmlab_walk_upper(w, VMLAB_LEVEL_PMD, addr & PMD_MASK, pmd_val(pmd), pmdp,
				      addr, pmd_pfn(pmd)))
			return 0;
		/* A PMD table entry the kernel would clear as bad is reported, not followed. */
		if (pmd_bad(pmd))
			continue;
		if (vmlab_walk_ptes(w, pmdp, pmd, addr, next) == -EAGAIN) {
			/* Changed under us: report what it became instead. */
			w->nr = nr;
			w->seen[VMLAB_LEVEL_PMD] = ~0UL;
			goto again;
		}
	} while (pmdp++, addr = next, addr != end && !w->stopped);
	return 0;
}

/* A PUD leaf (a 1 GiB page), under the PUD's lock; -EAGAIN if it changed. */
static int vmlab_walk_pud_leaf(struct vmlab_walker *w, pud_t *pudp, unsigned long addr)
{
	struct vmlab_walk_entry *e;
	spinlock_t *ptl;	/* the PUD's lock: mm->page_table_lock */
	pud_t pud;
	int ret = 0;

	ptl = pud_lock(w->mm, pudp);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud) || (pud_present(pud) && !pud_leaf(pud))) {
		ret = -EAGAIN;
		goto out;
	}
	e = vmlab_walk_slot(w, VMLAB_LEVEL_PUD, addr & PUD_MASK, pud_val(pud), pudp, addr);
	if (e)
		vmlab_walk_leaf(w, e, VMLAB_LEVEL_PUD, pud_val(pud));
out:
	spin_unlock(ptl);
	return ret;
}

static int vmlab_walk_puds(struct vmlab_walker *w, p4d_t *p4dp, unsigned long addr,
			   unsigned long end)
{
	pud_t *pudp = pud_offset(p4dp, addr);
	unsigned long next;
	pud_t pud;
	int ret;

	do {
		next = pud_addr_end(addr, end);
again:
		if (fatal_signal_pending(current))
			return -EINTR;
		pud = READ_ONCE(*pudp);
		if (pud_none(pud))
			continue;
		if (!pud_present(pud) || pud_leaf(pud)) {
			if (vmlab_walk_pud_leaf(w, pudp, addr))
				goto again;
			continue;
		}
		if (!vmlab_walk_upper(w, VMLAB_LEVEL_PUD, addr & PUD_MASK, pud_val(pud), pudp,
				      addr, pud_pfn(pud)))
			return 0;
		if (pud_bad(pud))
			continue;
		ret = vmlab_walk_pmds(w, pudp, addr, next);
		if (ret)
			return ret;
	} while (pudp++, addr = next, addr != end && !w->stopped);
	return 0;
}

static int vmlab_walk_p4ds(struct vmlab_walker *w, pgd_t *pgdp, unsigned long addr,
			   unsigned long end)
{
	p4d_t *p4dp = p4d_offset(pgdp, addr);
	unsigned long next;
	p4d_t p4d;
	int ret;

	do {
		next = p4d_addr_end(addr, end);
		p4d = READ_ONCE(*p4dp);
		if (p4d_none(p4d))
			continue;
		if (!vmlab_walk_upper(w, VMLAB_LEVEL_P4D, addr & P4D_MASK, p4d_val(p4d), p4dp,
				      addr, p4d_pfn(p4d)))
			return 0;
		if (p4d_bad(p4d))
			continue;
		ret = vmlab_walk_puds(w, p4dp, addr, next);
		if (ret)
			return ret;
	} while (p4dp++, addr = next, addr != end && !w->stopped);
	return 0;
}

/*
 * [@addr, @end) of the current VMA, from the PGD down.  With 4-level
 * paging pgd_none() is false by design (the P4D level is folded into
 * the PGD and p4d_none() tests the entry): the value is tested instead.
 */
static int vmlab_walk_range(struct vmlab_walker *w, unsigned long addr, unsigned long end)
{
	pgd_t *pgdp = pgd_offset(w->mm, addr);
	unsigned long next;
	pgd_t pgd;
	int ret;

	do {
		next = pgd_addr_end(addr, end);
		pgd = READ_ONCE(*pgdp);
		if (!pgd_val(pgd))
			continue;
		if (!vmlab_walk_upper(w, VMLAB_LEVEL_PGD, addr & PGDIR_MASK, pgd_val(pgd), pgdp,
				      addr, PFN_DOWN(pgd_val(pgd) & PTE_PFN_MASK)))
			return 0;
		ret = vmlab_walk_p4ds(w, pgdp, addr, next);
		if (ret)
			return ret;
	} while (pgdp++, addr = next, addr != end && !w->stopped);
	return 0;
}

/* Walk the VMAs of [@start, @end) of @w->mm, under its mmap_lock. */
static int vmlab_walk_vmas(struct vmlab_walker *w, unsigned long start, unsigned long end)
{
	struct address_space *mapping;
	unsigned long addr = start;
	struct vm_area_struct *vma;
	int ret = 0;

	while (addr < end && !w->stopped) {
		vma = find_vma(w->mm, addr);
		if (!vma || vma->vm_start >= end)
			break;
		w->vma = vma;
		addr = max(addr, vma->vm_start);
		mapping = is_vm_hugetlb_page(vma) ? vma->vm_file->f_mapping : NULL;
		if (mapping)
			i_mmap_lock_read(mapping);
		ret = vmlab_walk_range(w, addr, min(end, vma->vm_end));
		if (mapping)
			i_mmap_unlock_read(mapping);
		if (ret)
			break;
		addr = min(end, vma->vm_end);
	}
	return ret;
}

/* The address space of process @nr of the caller's PID namespace (0: the caller's). */
static struct mm_struct *vmlab_walk_mm(pid_t nr)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;

	if (!nr)
		return get_task_mm(current);
	pid = find_get_pid(nr);
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return NULL;
	mm = get_task_mm(task);
	put_task_struct(task);
	return mm;
}

/**
 * vmlab_walk_ioctl() - VMLAB_IOC_WALK
 * @argp: the caller's struct vmlab_walk
 *
 * Return: 0, or the errno the uapi header lists.
 */
long vmlab_walk_ioctl(void __user *argp)
{
	struct vmlab_walker w = { };
	struct vmlab_walk req;
	u64 start, end;
	int ret, i;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(req.reserved); i++)
		if (req.reserved[i])
			return -EINVAL;
	if (req.flags || req.nr_entries < VMLAB_WALK_MIN_ENTRIES || req.pid < 0 ||
	    req.start >= req.end || req.end > TASK_SIZE_MAX)
		return -EINVAL;

	w.max = min_t(u32, req.nr_entries, VMLAB_WALK_MAX_ENTRIES);
	if (!access_ok(u64_to_user_ptr(req.entries), w.max * sizeof(*w.out)))
		return -EFAULT;
	w.out = kvmalloc_array(w.max, sizeof(*w.out), GFP_KERNEL_ACCOUNT);
	if (!w.out)
		return -ENOMEM;
	w.mm = vmlab_walk_mm(req.pid);
	if (!w.mm) {
		ret = -ESRCH;
		goto out_free;
	}
	start = round_down(req.start, PAGE_SIZE);
	end = round_up(req.end, PAGE_SIZE);
	memset(w.seen, 0xff, sizeof(w.seen));
	ret = mmap_read_lock_killable(w.mm);
	if (ret)
		goto out_mm;
	ret = vmlab_walk_vmas(&w, start, end);
	mmap_read_unlock(w.mm);
	if (ret)
		goto out_mm;

	req.nr_entries = w.nr;
	req.levels = pgtable_l5_enabled() ? 5 : 4;
	req.next = w.stopped ? w.next : end;
	if (copy_to_user(u64_to_user_ptr(req.entries), w.out, w.nr * sizeof(*w.out)) ||
	    copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
out_mm:
	mmput(w.mm);
out_free:
	kvfree(w.out);
	return ret;
}

#else /* !CONFIG_X86_64 */

long vmlab_walk_ioctl(void __user *argp)
{
	return -EOPNOTSUPP;
}

#endif
