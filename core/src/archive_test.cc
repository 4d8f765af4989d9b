// Archives: a round trip keeps every byte and the executable bit; a file changed
// after packing, one the manifest does not list, "..", an absolute path, a
// symlink, a missing manifest and a truncated file are each refused, naming
// the archive, with nothing left behind. The hostile archives are made by
// Python's tarfile, not by our writer.
#include "maskbench/core/archive.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "maskbench/core/files.h"

namespace maskbench {
namespace {

namespace fs = std::filesystem;

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("maskbench-archive-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in" / "sub");
    ASSERT_TRUE(WriteFileAtomic(dir_ / "in" / "a.txt", "hello\n").ok());
    std::string big(70000, 'x');
    big[12345] = '\0';
    ASSERT_TRUE(WriteFileAtomic(dir_ / "in" / "sub" / "big.bin", big).ok());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "in" / "run.sh", "#!/bin/sh\n").ok());
    fs::permissions(dir_ / "in" / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs a Python tarfile script with `out` as argv[1]; returns its exit code.
  int Py(const std::string& body, const fs::path& out) {
    const fs::path script = dir_ / "make.py";
    std::ofstream(script) << "import io, sys, tarfile, hashlib\n" << body;
    return std::system(("python3 '" + script.string() + "' '" + out.string() + "'").c_str());
  }
  fs::path dir_;
};

TEST_F(ArchiveTest, RoundTripKeepsBytesAndTheExecutableBit) {
  const std::string long_dir = std::string(120, 'd');
  fs::create_directories(dir_ / "in" / long_dir);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "in" / long_dir / "f", "deep").ok());
  std::vector<ArchiveFile> files = {{"submission/a.txt", dir_ / "in" / "a.txt"},
                                    {"submission/sub/big.bin", dir_ / "in" / "sub" / "big.bin"},
                                    {"sources/run.sh", dir_ / "in" / "run.sh"},
                                    {"sources/" + long_dir + "/f", dir_ / "in" / long_dir / "f"}};
  ASSERT_TRUE(WriteArchive(dir_ / "x.tar.gz", files).ok());
  // Readable by tar itself, manifest first.
  EXPECT_EQ(std::system(("tar tzf '" + (dir_ / "x.tar.gz").string() + "' > '" +
                         (dir_ / "list").string() + "'")
                            .c_str()),
            0);
  Result<std::string> list = ReadFile(dir_ / "list");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->rfind("MANIFEST.sha256\n", 0), 0u) << *list;
  auto paths = ExtractArchive(dir_ / "x.tar.gz", dir_ / "out");
  ASSERT_TRUE(paths.ok()) << paths.status().message();
  EXPECT_EQ(paths->size(), 4u);
  for (const ArchiveFile& f : files) {
    EXPECT_EQ(*ReadFile(dir_ / "out" / f.path), *ReadFile(f.from)) << f.path;
  }
  EXPECT_NE(fs::status(dir_ / "out" / "sources" / "run.sh").permissions() & fs::perms::owner_exec,
            fs::perms::none);
  // A second extraction into an existing folder is refused.
  EXPECT_FALSE(ExtractArchive(dir_ / "x.tar.gz", dir_ / "out").ok());
}

TEST_F(ArchiveTest, AFileChangedAfterPackingIsRefused) {
  ASSERT_TRUE(WriteArchive(dir_ / "x.tar.gz", {{"submission/a.txt", dir_ / "in" / "a.txt"}}).ok());
  // Re-pack the same entries with a changed a.txt but the old manifest.
  ASSERT_EQ(Py(R"(
src = tarfile.open(sys.argv[1], "r:gz")
members = [(m, src.extractfile(m).read()) for m in src.getmembers()]
with tarfile.open(sys.argv[1] + ".evil", "w:gz", format=tarfile.USTAR_FORMAT) as t:
    for m, data in members:
        if m.name.endswith("a.txt"):
            data = b"HELLO\n"
        m.size = len(data)
        t.addfile(m, io.BytesIO(data))
)",
               dir_ / "x.tar.gz"),
            0);
  auto r = ExtractArchive(dir_ / "x.tar.gz.evil", dir_ / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x.tar.gz.evil"), std::string::npos);
  EXPECT_NE(r.status().message().find("submission/a.txt: its SHA-256 differs"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(ArchiveTest, HostileEntriesAreRefused) {
  struct Case {
    const char* name;
    const char* body;
    const char* expect;
  };
  const Case cases[] = {
      {"dotdot",
       "t = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.USTAR_FORMAT)\n"
       "i = tarfile.TarInfo('submission/../../escape'); d = b'x'; i.size = 1\n"
       "t.addfile(i, io.BytesIO(d)); t.close()\n",
       "unsafe path"},
      {"absolute",
       "t = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.USTAR_FORMAT)\n"
       "i = tarfile.TarInfo('/tmp/escape'); i.size = 1\n"
       "t.addfile(i, io.BytesIO(b'x')); t.close()\n",
       "unsafe path"},
      {"symlink",
       "t = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.USTAR_FORMAT)\n"
       "i = tarfile.TarInfo('submission/link'); i.type = tarfile.SYMTYPE; i.linkname = '/etc'\n"
       "t.addfile(i); t.close()\n",
       "links and devices are refused"},
      {"nomanifest",
       "t = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.USTAR_FORMAT)\n"
       "i = tarfile.TarInfo('submission/a'); i.size = 1\n"
       "t.addfile(i, io.BytesIO(b'x')); t.close()\n",
       "no MANIFEST.sha256"},
      {"unlisted",
       "t = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.USTAR_FORMAT)\n"
       "m = ('%s  submission/a\\n' % hashlib.sha256(b'x').hexdigest()).encode()\n"
       "i = tarfile.TarInfo('MANIFEST.sha256'); i.size = len(m); t.addfile(i, io.BytesIO(m))\n"
       "for n in ('submission/a', 'submission/extra'):\n"
       "    i = tarfile.TarInfo(n); i.size = 1; t.addfile(i, io.BytesIO(b'x'))\n"
       "t.close()\n",
       "submission/extra: not in MANIFEST.sha256"},
      {"huge",
       "import gzip\n"
       "i = tarfile.TarInfo('submission/big'); i.size = 2**32\n"
       "open(sys.argv[1], 'wb').write(gzip.compress(i.tobuf(tarfile.USTAR_FORMAT)))\n",
       "larger than 1073741824 bytes"},
      {"sizeddir",
       "import gzip\n"
       "i = tarfile.TarInfo('submission/d'); i.type = tarfile.DIRTYPE; i.size = 512\n"
       "open(sys.argv[1], 'wb').write(gzip.compress(i.tobuf(tarfile.USTAR_FORMAT) + bytes(512)))\n",
       "a folder with a size"},
      {"missing",
       "t = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.USTAR_FORMAT)\n"
       "m = ('%s  submission/gone\\n' % hashlib.sha256(b'x').hexdigest()).encode()\n"
       "i = tarfile.TarInfo('MANIFEST.sha256'); i.size = len(m); t.addfile(i, io.BytesIO(m))\n"
       "t.close()\n",
       "submission/gone: in MANIFEST.sha256 but not in the archive"},
  };
  for (const Case& c : cases) {
    const fs::path a = dir_ / (std::string(c.name) + ".tar.gz");
    ASSERT_EQ(Py(c.body, a), 0) << c.name;
    auto r = ExtractArchive(a, dir_ / c.name);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.status().message().find(a.string()), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.name << ": " << r.status().message();
    EXPECT_FALSE(fs::exists(dir_ / c.name)) << c.name;
    EXPECT_FALSE(fs::exists(dir_ / "escape"));
  }
}

TEST_F(ArchiveTest, TruncatedAndNonArchivesAreRefused) {
  ASSERT_TRUE(
      WriteArchive(dir_ / "x.tar.gz", {{"submission/big.bin", dir_ / "in" / "sub" / "big.bin"}})
          .ok());
  // Decompress, cut the tar in the middle of the file, recompress.
  Result<std::string> bytes = ReadFile(dir_ / "x.tar.gz");
  ASSERT_TRUE(bytes.ok());
  gzFile in = gzopen((dir_ / "x.tar.gz").c_str(), "rb");
  std::string tar(200000, '\0');
  int n = gzread(in, tar.data(), static_cast<unsigned>(tar.size()));
  gzclose(in);
  ASSERT_GT(n, 3000);
  gzFile out = gzopen((dir_ / "cut.tar.gz").c_str(), "wb");
  gzwrite(out, tar.data(), 3000);
  gzclose(out);
  auto r = ExtractArchive(dir_ / "cut.tar.gz", dir_ / "o1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
  ASSERT_TRUE(WriteFileAtomic(dir_ / "plain.tar.gz", std::string(2048, 'z')).ok());
  EXPECT_FALSE(ExtractArchive(dir_ / "plain.tar.gz", dir_ / "o2").ok());
  EXPECT_FALSE(fs::exists(dir_ / "o1"));
  EXPECT_FALSE(fs::exists(dir_ / "o2"));
}

}  // namespace
}  // namespace maskbench
