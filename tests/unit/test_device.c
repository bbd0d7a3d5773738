/* SPDX-License-Identifier: MIT */
/*
 * Device discovery and open: files that are not our devices are refused
 * by name, the caller's fd is left alone, and backend ops a device lacks
 * answer NVSVM_E_NOT_SUPPORTED. No DRM device is faked.
 */

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

#include "nvsvm/nvsvm.h"
#include "harness.h"
#include "nvsvm_test_dev.h"

TEST(open_of_a_missing_path_is_enoent)
{
   struct nvsvm_device *dev = (void *)1;

   ASSERT_EQ(nvsvm_device_open("/dev/dri/no-such-node", &dev), -ENOENT);
   ASSERT_TRUE(dev == NULL);
}

TEST(open_of_a_non_drm_char_device_is_not_supported)
{
   struct nvsvm_device *dev;

   ASSERT_EQ(nvsvm_device_open("/dev/null", &dev), -NVSVM_E_NOT_SUPPORTED);
   ASSERT_TRUE(dev == NULL);
}

TEST(open_of_a_regular_file_is_not_supported)
{
   char path[] = "/tmp/nvsvm-dev-XXXXXX";
   struct nvsvm_device *dev;
   int fd = mkstemp(path);
   int ret;

   ASSERT_GE(fd, 0);
   close(fd);
   ret = nvsvm_device_open(path, &dev);
   unlink(path);
   ASSERT_EQ(ret, -NVSVM_E_NOT_SUPPORTED);
}

static unsigned
count_render_nodes(void)
{
   DIR *d = opendir("/dev/dri");
   struct dirent *de;
   unsigned n = 0;

   while (d && (de = readdir(d)))
      n += strncmp(de->d_name, "renderD", 7) == 0;
   if (d)
      closedir(d);
   return n;
}

TEST(enumerate_counts_every_render_node)
{
   unsigned count = 12345;

   ASSERT_EQ(nvsvm_drm_enumerate(NULL, 0, &count), 0);
   ASSERT_EQ(count, count_render_nodes());
}

TEST(enumerate_without_a_count_is_einval)
{
   struct nvsvm_drm_node n;

   ASSERT_EQ(nvsvm_drm_enumerate(&n, 1, NULL), -EINVAL);
   ASSERT_EQ(nvsvm_drm_enumerate(NULL, 1, (unsigned[]){ 0 }), -EINVAL);
}

TEST(default_open_without_nouveau_or_vsvm_is_enodev)
{
   struct nvsvm_drm_node nodes[16];
   struct nvsvm_device *dev;
   unsigned count;

   ASSERT_EQ(nvsvm_drm_enumerate(nodes, 16, &count), 0);
   for (unsigned i = 0; i < count && i < 16; i++) {
      if (!strcmp(nodes[i].driver, "nouveau") ||
          !strcmp(nodes[i].driver, "vsvm"))
         SKIP("this machine has a %s node: %s", nodes[i].driver,
              nodes[i].path);
   }
   ASSERT_EQ(nvsvm_device_open(NULL, &dev), -ENODEV);
}

TEST(open_fd_refuses_a_closed_fd)
{
   struct nvsvm_device *dev;
   int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

   ASSERT_GE(fd, 0);
   close(fd);
   ASSERT_EQ(nvsvm_device_open_fd(fd, &dev), -EBADF);
   ASSERT_EQ(nvsvm_device_open_fd(-1, &dev), -EBADF);
}

TEST(open_fd_leaves_the_callers_fd_open_on_failure)
{
   struct nvsvm_device *dev;
   int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
   int ret, still_open;

   ASSERT_GE(fd, 0);
   ret = nvsvm_device_open_fd(fd, &dev);
   still_open = fcntl(fd, F_GETFD) >= 0;
   close(fd);
   ASSERT_EQ(ret, -NVSVM_E_NOT_SUPPORTED);
   ASSERT_TRUE(still_open);
}

TEST(null_out_pointers_are_einval)
{
   struct nvsvm_device_info info;

   ASSERT_EQ(nvsvm_device_open("/dev/null", NULL), -EINVAL);
   ASSERT_EQ(nvsvm_device_open_fd(0, NULL), -EINVAL);
   ASSERT_EQ(nvsvm_device_get_info(NULL, &info), -EINVAL);
   ASSERT_EQ(nvsvm_device_fd(NULL), -EINVAL);
   nvsvm_device_close(NULL);
}

TEST(device_ops_nouveau_lacks_are_not_supported)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();
   static _Alignas(4096) char buf[2 * 4096];
   char out[2 * 4096];
   int r1, r2, r3, r4;

   ASSERT_TRUE(dev != NULL);
   r1 = nvsvm_device_atomic_fault(dev, buf, sizeof(buf), out);
   r2 = nvsvm_device_check_exclusive(dev, buf, sizeof(buf));
   r3 = nvsvm_device_read(dev, buf, sizeof(buf), out);
   r4 = nvsvm_device_write(dev, buf, sizeof(buf), out);
   nvsvm_device_close(dev);
   ASSERT_EQ(r1, -NVSVM_E_NOT_SUPPORTED);
   ASSERT_EQ(r2, -NVSVM_E_NOT_SUPPORTED);
   ASSERT_EQ(r3, -NVSVM_E_NOT_SUPPORTED);
   ASSERT_EQ(r4, -NVSVM_E_NOT_SUPPORTED);
}

TEST(device_ops_refuse_unaligned_ranges_before_the_backend)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();
   static _Alignas(4096) char buf[2 * 4096];
   int r1, r2;

   ASSERT_TRUE(dev != NULL);
   r1 = nvsvm_device_check_exclusive(dev, buf + 8, 4096);
   r2 = nvsvm_device_check_exclusive(dev, buf, 100);
   nvsvm_device_close(dev);
   ASSERT_EQ(r1, -NVSVM_E_UNALIGNED);
   ASSERT_EQ(r2, -NVSVM_E_UNALIGNED);
}

TEST(env_sizes_accept_suffixes_and_hex)
{
   uint64_t v = 0;

   setenv("NVSVM_TEST_SIZE", "4G", 1);
   ASSERT_EQ(nvsvm_env_size("NVSVM_TEST_SIZE", &v), 0);
   ASSERT_U64_EQ(v, 4ull << 30);
   setenv("NVSVM_TEST_SIZE", "0x200000", 1);
   ASSERT_EQ(nvsvm_env_size("NVSVM_TEST_SIZE", &v), 0);
   ASSERT_U64_EQ(v, 2ull << 20);
   setenv("NVSVM_TEST_SIZE", "512m", 1);
   ASSERT_EQ(nvsvm_env_size("NVSVM_TEST_SIZE", &v), 0);
   ASSERT_U64_EQ(v, 512ull << 20);
   unsetenv("NVSVM_TEST_SIZE");
}

TEST(env_sizes_refuse_garbage_and_overflow)
{
   uint64_t v = 77;

   unsetenv("NVSVM_TEST_SIZE");
   ASSERT_EQ(nvsvm_env_size("NVSVM_TEST_SIZE", &v), -ENOENT);
   setenv("NVSVM_TEST_SIZE", "-1", 1);
   ASSERT_EQ(nvsvm_env_size("NVSVM_TEST_SIZE", &v), -EINVAL);
   setenv("NVSVM_TEST_SIZE", "4GB", 1);
   ASSERT_EQ(nvsvm_env_size("NVSVM_TEST_SIZE", &v), -EINVAL);
   setenv("NVSVM_TEST_SIZE", "99999999999T", 1);
   ASSERT_EQ(nvsvm_env_size("NVSVM_TEST_SIZE", &v), -EINVAL);
   unsetenv("NVSVM_TEST_SIZE");
   ASSERT_U64_EQ(v, 77);
}

TEST(backend_kinds_have_names)
{
   ASSERT_STREQ(nvsvm_backend_name(NVSVM_BACKEND_NOUVEAU), "nouveau");
   ASSERT_STREQ(nvsvm_backend_name(NVSVM_BACKEND_VSVM), "vsvm");
   ASSERT_STREQ(nvsvm_backend_name(NVSVM_BACKEND_HMM), "hmm");
   ASSERT_STREQ(nvsvm_backend_name(NVSVM_BACKEND_NONE), "none");
}

TEST(chipsets_map_to_their_family)
{
   ASSERT_STREQ(nvsvm_chipset_family(0x134), "Pascal");
   ASSERT_STREQ(nvsvm_chipset_family(0x130), "Pascal");
   ASSERT_STREQ(nvsvm_chipset_family(0x124), "Maxwell");
   ASSERT_STREQ(nvsvm_chipset_family(0x140), "Volta");
   ASSERT_STREQ(nvsvm_chipset_family(0x164), "Turing");
   ASSERT_STREQ(nvsvm_chipset_family(0x0e4), "Kepler");
   ASSERT_STREQ(nvsvm_chipset_family(0), "unknown");
   ASSERT_STREQ(nvsvm_chipset_family(0xfff), "unknown");
}

TEST_HARNESS_MAIN
