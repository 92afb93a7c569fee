/* amx_tiles.h - the AMX tile configuration (palette 1) that every AMX path loads with
 * _tile_loadconfig: each tile's rows and bytes per row. */
#ifndef BN_AMX_TILES_H
#define BN_AMX_TILES_H

#include <stdint.h>
#include <string.h>

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} bn_amx_tile_config;

/* Tiles 0-7 at their largest, 16 rows of 64 bytes; the others unused. */
static inline void bn_amx_full_tiles(bn_amx_tile_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->palette = 1;
    for (int t = 0; t < 8; t++) {
        cfg->rows[t] = 16;
        cfg->colsb[t] = 64;
    }
}

#endif
