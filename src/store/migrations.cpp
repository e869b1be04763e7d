#include "store/migrations.h"

#include "common/crypto.h"
#include "common/embedded.h"
#include "store/store.h"

#include <algorithm>
#include <cctype>

namespace voxa::store {

Migration makeMigration(int64_t version, std::string name, std::string sql) {
    Migration m;
    m.version = version;
    m.name = std::move(name);
    m.checksum = sha256Hex(sql);
    m.sql = std::move(sql);
    return m;
}

std::vector<Migration> loadMigrations(std::string_view dialect) {
    const std::string prefix = "src/store/migrations/" + std::string(dialect) + "/";
    std::vector<Migration> out;
    for (auto& [path, data] : embedded::all()) {
        if (!path.starts_with(prefix) || !path.ends_with(".sql")) continue;
        std::string_view file = path.substr(prefix.size());
        size_t digits = 0;
        while (digits < file.size() && std::isdigit(static_cast<unsigned char>(file[digits])))
            ++digits;
        if (digits == 0 || digits > 9 || file.find('/') != std::string_view::npos)
            throw StoreError("migration file name must start with a version: " +
                             std::string(path));
        out.push_back(makeMigration(std::stoll(std::string(file.substr(0, digits))),
                                    std::string(file), std::string(data)));
    }
    std::sort(out.begin(), out.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    for (size_t i = 1; i < out.size(); ++i)
        if (out[i].version == out[i - 1].version)
            throw StoreError("duplicate migration version: " + out[i].name);
    return out;
}

void checkChecksum(const Migration& m, const std::string& appliedChecksum) {
    if (appliedChecksum != m.checksum)
        throw StoreError("migration " + m.name + " was changed after it was applied (checksum " +
                         appliedChecksum + " in the database, " + m.checksum +
                         " in this binary); refusing to start");
}

}  // namespace voxa::store
