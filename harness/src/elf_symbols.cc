#include "maskbench/harness/elf_symbols.h"

#include <elf.h>

#include <cstring>

#include "maskbench/core/files.h"

namespace maskbench::harness {

Result<std::vector<std::string>> ElfExportedSymbols(const std::filesystem::path& so) {
  Result<std::string> bytes = ReadFile(so);
  if (!bytes.ok()) return bytes.status();
  const std::string& b = *bytes;
  const std::string where = so.string();
  auto fits = [&](uint64_t off, uint64_t len) { return off <= b.size() && len <= b.size() - off; };
  if (!fits(0, sizeof(Elf64_Ehdr)) || std::memcmp(b.data(), ELFMAG, SELFMAG) != 0)
    return Status::Corruption(where, "not an ELF file");
  Elf64_Ehdr eh;
  std::memcpy(&eh, b.data(), sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return Status::Corruption(where, "not a 64-bit little-endian ELF file");
  if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
      !fits(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr)))
    return Status::Corruption(where, "section header table out of range");
  auto section = [&](size_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, b.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    return sh;
  };
  std::vector<std::string> names;
  bool found = false;
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    const Elf64_Shdr sh = section(i);
    if (sh.sh_type != SHT_DYNSYM) continue;
    found = true;
    if (sh.sh_link >= eh.e_shnum || !fits(sh.sh_offset, sh.sh_size) ||
        sh.sh_entsize != sizeof(Elf64_Sym))
      return Status::Corruption(where, ".dynsym out of range");
    const Elf64_Shdr str = section(sh.sh_link);
    if (!fits(str.sh_offset, str.sh_size)) return Status::Corruption(where, ".dynstr out of range");
    for (uint64_t k = 1; k < sh.sh_size / sizeof(Elf64_Sym); ++k) {
      Elf64_Sym sym;
      std::memcpy(&sym, b.data() + sh.sh_offset + k * sizeof(Elf64_Sym), sizeof sym);
      const int bind = ELF64_ST_BIND(sym.st_info);
      const int vis = ELF64_ST_VISIBILITY(sym.st_other);
      if (sym.st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK) ||
          (vis != STV_DEFAULT && vis != STV_PROTECTED) || sym.st_name >= str.sh_size)
        continue;
      const char* name = b.data() + str.sh_offset + sym.st_name;
      names.emplace_back(name, strnlen(name, str.sh_size - sym.st_name));
    }
  }
  if (!found)
    return Status::Corruption(where, "no dynamic symbol table (.dynsym): not a shared library?");
  return names;
}

}  // namespace maskbench::harness
