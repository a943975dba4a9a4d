/* vmmon's call-site workload: maps known sizes from known functions, then, on command,
 * unmaps part of them. Built by the tests with and without frame pointers, and stripped.
 *
 * stdin: "unmap\n" unmaps 1 MiB of the first cache mapping and all of the arena; "exit\n"
 * (or EOF) ends. stdout: "ready\n" after the mappings, "unmapped\n" after the unmap. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MIB (1024UL * 1024UL)

static void *caches[2];
static void *arena;

__attribute__((noinline)) void *sites_map_cache(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
	return p;
}

__attribute__((noinline)) void *sites_grow_arena(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) void sites_load_caches(void)
{
	caches[0] = sites_map_cache(3 * MIB);
	caches[1] = sites_map_cache(3 * MIB);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void sites_build_arena(void)
{
	arena = sites_grow_arena(5 * MIB);
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	char line[64];
	sites_load_caches();
	sites_build_arena();
	if (caches[0] == MAP_FAILED || caches[1] == MAP_FAILED || arena == MAP_FAILED)
		return 1;
	printf("ready %p %p %p\n", caches[0], caches[1], arena);
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		if (strncmp(line, "unmap", 5) == 0) {
			munmap(caches[0], 1 * MIB);
			munmap(arena, 5 * MIB);
			printf("unmapped\n");
			fflush(stdout);
		} else if (strncmp(line, "exit", 4) == 0) {
			break;
		}
	}
	return 0;
}
