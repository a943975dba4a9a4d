/* vmmon's workload for how processes end and what they hit first: named functions map known
 * sizes, so that call sites can be checked by name. Built by the tests with frame pointers.
 *
 *   exits oom            waits for "go\n" on stdin (time to be put in a memory cgroup),
 *                        then maps and fills 8 MiB at a time from exits_hog_grow until the
 *                        OOM killer ends it.
 *   exits refuse MIB     limits its address space (RLIMIT_AS) to what it has plus MIB, then
 *                        asks exits_refused_map for twice that: refused with ENOMEM. Prints
 *                        "refused <errno>", then waits for "exit\n".
 *   exits deleted PATH   writes 1 MiB to PATH, maps it from exits_map_file, prints
 *                        "mapped", waits for "delete\n", deletes it, prints "deleted", then
 *                        waits for "exit\n".
 *   exits code N         exits with code N.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

__attribute__((noinline)) void *exits_hog_grow(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
	return p;
}

__attribute__((noinline)) void *exits_refused_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) void *exits_map_file(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	__asm__ volatile("" ::: "memory");
	return p;
}

static void wait_for(const char *word)
{
	char line[64];
	while (fgets(line, sizeof line, stdin))
		if (strncmp(line, word, strlen(word)) == 0)
			return;
}

static size_t vm_size(void)
{
	char line[256];
	size_t kib = 0;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %zu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib * 1024;
}

static int oom(void)
{
	wait_for("go");
	for (;;) {
		char *p = exits_hog_grow(8 * MIB);
		if (p == MAP_FAILED)
			return 2;
		memset(p, 0x5a, 8 * MIB);
	}
}

static int refuse(size_t mib)
{
	struct rlimit lim;
	lim.rlim_cur = lim.rlim_max = vm_size() + mib * MIB;
	if (setrlimit(RLIMIT_AS, &lim) != 0)
		return 2;
	void *p = exits_refused_map(2 * mib * MIB);
	printf("refused %d\n", p == MAP_FAILED ? errno : 0);
	fflush(stdout);
	wait_for("exit");
	return 0;
}

static int deleted(const char *path)
{
	static char block[MIB];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, block, MIB) != (ssize_t)MIB)
		return 2;
	void *p = exits_map_file(fd, MIB);
	if (p == MAP_FAILED)
		return 3;
	close(fd);
	printf("mapped %p\n", p);
	fflush(stdout);
	wait_for("delete");
	if (unlink(path) != 0)
		return 4;
	printf("deleted\n");
	fflush(stdout);
	wait_for("exit");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "oom") == 0)
		return oom();
	if (argc >= 3 && strcmp(argv[1], "refuse") == 0)
		return refuse(strtoul(argv[2], NULL, 10));
	if (argc >= 3 && strcmp(argv[1], "deleted") == 0)
		return deleted(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "code") == 0)
		return atoi(argv[2]);
	fprintf(stderr, "usage: exits oom | refuse MIB | deleted PATH | code N\n");
	return 64;
}
