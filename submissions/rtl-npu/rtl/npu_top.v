// rtl-npu: an int8 convolution engine for the maskbench RTL track (Verilog-2005).
//
// The machine (docs/submissions/rtl-npu.md):
//   - an 8x8 MAC array: 8 input-channel lanes x 8 output-channel lanes, one
//     output pixel per cycle (64 int8 x int8 multiplies, 8 adder trees);
//   - an input buffer of 2048 x 128 bit (32 KiB) holding a band of input rows;
//   - a weight buffer of 512 x 128 bit (8 KiB) holding one output-channel group's
//     weights for every kernel tap and input-channel group;
//   - an accumulator of 8 banks x 1024 x 32 bit (32 KiB): one int32 per output
//     channel lane for up to 1024 output pixels of a tile;
//   - a requantize unit of 8 lanes (round half away from zero, ReLU, clamp) that
//     writes int8 (or, for the head, int32) pixels back to DRAM.
// Tensors live in DRAM as HWC with channels padded to a multiple of 8 and a
// one-pixel zero border. The harness's driver sequences layers, row tiles and
// output-channel groups through the register port; the design does the data
// movement (DMA), the address generation and all arithmetic.
//
// Register port (word addresses, docs/rtl.md "The interface"):
//    0 CMD (write: bit0 load band, bit1 load weights, bit2 compute) / STATUS (read: busy)
//    1 BAND_BASE  2 BAND_WORDS  3 W_BASE  4 W_WORDS  5 IN_ROW8  6 IN_PITCH8
//    7 IN_ORIGIN8 8 ICG_N  9 MODE (kernel[3:0], stride[7:4], upsample[8], relu[12], out32[16])
//   10 WO  11 TILE_PIXELS  12 OUT_BASE  13 OUT_PITCH  14 OUT_ROW
//   16..24 activity counters (read), 31 write: clear the counters
`default_nettype none

module npu_top (
    input  wire         clk,
    input  wire         rst,
    // register/command port
    input  wire         reg_we,
    input  wire [  4:0] reg_addr,
    input  wire [ 31:0] reg_wdata,
    output reg  [ 31:0] reg_rdata,
    output wire         busy,
    // memory port to the DRAM model: one 16-byte request per cycle, reads answered in order
    output reg          mem_valid,
    output reg          mem_we,
    output reg  [ 31:0] mem_addr,
    output reg  [127:0] mem_wdata,
    output reg  [ 15:0] mem_wstrb,
    input  wire         mem_rvalid,
    input  wire [127:0] mem_rdata
);

  localparam S_IDLE = 4'd0, S_DMA = 4'd1, S_LOADW = 4'd2, S_STREAM = 4'd3, S_DRAIN = 4'd4,
             S_WB = 4'd5, S_WBDRAIN = 4'd6, S_NEXT = 4'd7;

  // ---- registers written by the driver -------------------------------------------------
  reg [31:0] band_base, w_base, out_base, out_pitch, out_row;
  reg [15:0] band_words, w_words, in_row8, in_pitch8, in_origin8, icg_n, wo, tile_px;
  reg [ 3:0] kernel, stride;
  reg upsample, relu, out32;

  // ---- activity counters (docs/rtl.md "Energy") ------------------------------------------
  reg [31:0] cnt_mac, cnt_ibuf_rd, cnt_ibuf_wr, cnt_wbuf_rd, cnt_wbuf_wr, cnt_acc_rd, cnt_acc_wr;
  reg [31:0] cnt_passes, cnt_wb;

  reg [3:0] state;
  reg [2:0] cmd;  // pending steps
  assign busy = state != S_IDLE || cmd != 3'd0;

  // ---- buffers ------------------------------------------------------------------------------
  reg [127:0] ibuf[0:2047];
  reg [127:0] wbuf[0:511];
  reg [127:0] ibuf_q, wbuf_q;
  reg ibuf_we, wbuf_we;
  reg [10:0] ibuf_waddr;
  reg [8:0] wbuf_waddr;
  wire [10:0] ibuf_raddr;
  wire [8:0] wbuf_raddr;
  reg [127:0] buf_wdata;
  always @(posedge clk) begin
    if (ibuf_we) ibuf[ibuf_waddr] <= buf_wdata;
    ibuf_q <= ibuf[ibuf_raddr];
  end
  always @(posedge clk) begin
    if (wbuf_we) wbuf[wbuf_waddr] <= buf_wdata;
    wbuf_q <= wbuf[wbuf_raddr];
  end

  reg acc_we;
  reg [9:0] acc_waddr;
  wire [9:0] acc_raddr;
  reg [255:0] acc_wdata;
  wire [255:0] acc_q;
  genvar gj;
  generate
    for (gj = 0; gj < 8; gj = gj + 1) begin : bank
      reg [31:0] mem[0:1023];
      reg [31:0] q;
      always @(posedge clk) begin
        if (acc_we) mem[acc_waddr] <= acc_wdata[gj*32+:32];
        q <= mem[acc_raddr];
      end
      assign acc_q[gj*32+:32] = q;
    end
  endgenerate

  // ---- parameters of the current output-channel group ----------------------------------------
  reg [255:0] bias_r, mult_r;
  reg [63:0] shift_r;
  reg [511:0] wreg;  // wreg[(i*8+j)*8 +: 8] = weight of input lane i, output lane j

  // ---- DMA -------------------------------------------------------------------------------------
  reg dma_to_w;  // 0: band -> ibuf, 1: params + weights
  reg [31:0] dma_base;
  reg [15:0] dma_words, dma_issued, dma_recv;

  // ---- compute sequencing ------------------------------------------------------------------------
  reg [3:0] ky, kx;
  reg [15:0] icg, tap_off8, row_off8, row_start8, px8, ox, p;
  reg oy_par, first_pass;
  reg [8:0] wblk;  // word address of the current weight block
  reg [2:0] lw;  // weight-load beat
  reg [2:0] drain;

  // stream pipeline: S0 (S_STREAM) presents the ibuf address; S1 dot product and acc
  // address; S2 accumulate; the write lands the cycle after
  reg s1_v, s1_half, s2_v;
  reg [9:0] s1_p, s2_p;
  reg s1_first, s2_first;
  reg [255:0] s2_dot;

  // writeback pipeline: W0 issue acc read; W1 requantize; W2 DRAM write
  reg w1_v, w2_v, w2_second, wb_phase;
  reg [31:0] w1_addr, wb_addr, wb_row_addr;
  /* verilator lint_off UNUSEDSIGNAL */
  reg [31:0] w2_addr;  // 8-byte aligned by contract: bits [2:0] are zero
  /* verilator lint_on UNUSEDSIGNAL */
  reg [15:0] wb_ox;
  reg [63:0] w2_bytes;
  reg [255:0] w2_raw;

  // one lane's dot product over the 8 input lanes of the current pixel
  function [31:0] dot8;
    input [63:0] x;
    input [511:0] w;
    input integer j;
    integer i;
    reg signed [31:0] s;
    begin
      s = 0;
      for (i = 0; i < 8; i = i + 1)
        s = s + $signed(x[i*8+:8]) * $signed(w[(i*8+j)*8+:8]);
      dot8 = s;
    end
  endfunction

  // the reference requantization: round_half_away_from_zero(acc * m / 2^(31 + shift))
  function [7:0] requant;
    input [31:0] acc;
    input [31:0] m;
    input [7:0] sh;
    input r;
    reg signed [63:0] prod, mag, q;
    reg [7:0] n;
    begin
      prod = $signed(acc) * $signed(m);
      n = 8'd31 + sh;
      mag = prod < 0 ? -prod : prod;
      mag = (mag + (64'sd1 <<< (n - 8'd1))) >>> n;
      q = prod < 0 ? -mag : mag;
      if (r && q < 0) q = 0;
      if (q < -64'sd128) q = -64'sd128;
      if (q > 64'sd127) q = 64'sd127;
      requant = q[7:0];
    end
  endfunction

  // read addresses are combinational from the sequencer, so data arrives the next cycle
  assign ibuf_raddr = px8[11:1];
  assign wbuf_raddr = wblk + {6'd0, lw};
  assign acc_raddr = state == S_WB ? p[9:0] : s1_p;

  wire [63:0] s1_x = s1_half ? ibuf_q[127:64] : ibuf_q[63:0];
  wire [15:0] step8 = upsample ? in_pitch8 : (stride == 4'd2 ? in_pitch8 << 1 : in_pitch8);
  wire [15:0] rstep8 = stride == 4'd2 ? in_row8 << 1 : in_row8;

  integer j;
  reg [255:0] dotv, accv;
  reg [63:0] bytes;
  always @(*) begin
    for (j = 0; j < 8; j = j + 1) begin
      dotv[j*32+:32] = dot8(s1_x, wreg, j);
      accv[j*32+:32] = (s2_first ? bias_r[j*32+:32] : acc_q[j*32+:32]) + s2_dot[j*32+:32];
      bytes[j*8+:8] = requant(acc_q[j*32+:32], mult_r[j*32+:32], shift_r[j*8+:8], relu);
    end
  end

  always @(posedge clk) begin
    ibuf_we <= 1'b0;
    wbuf_we <= 1'b0;
    acc_we <= 1'b0;
    mem_valid <= 1'b0;
    mem_we <= 1'b0;
    if (rst) begin
      state <= S_IDLE;
      cmd <= 3'd0;
      s1_v <= 1'b0;
      s2_v <= 1'b0;
      w1_v <= 1'b0;
      w2_v <= 1'b0;
      w2_second <= 1'b0;
      cnt_mac <= 0;
      cnt_ibuf_rd <= 0;
      cnt_ibuf_wr <= 0;
      cnt_wbuf_rd <= 0;
      cnt_wbuf_wr <= 0;
      cnt_acc_rd <= 0;
      cnt_acc_wr <= 0;
      cnt_passes <= 0;
      cnt_wb <= 0;
    end else begin
      // ---- register writes (accepted while idle) ----
      if (reg_we && state == S_IDLE) begin
        case (reg_addr)
          5'd0: cmd <= reg_wdata[2:0];
          5'd1: band_base <= reg_wdata;
          5'd2: band_words <= reg_wdata[15:0];
          5'd3: w_base <= reg_wdata;
          5'd4: w_words <= reg_wdata[15:0];
          5'd5: in_row8 <= reg_wdata[15:0];
          5'd6: in_pitch8 <= reg_wdata[15:0];
          5'd7: in_origin8 <= reg_wdata[15:0];
          5'd8: icg_n <= reg_wdata[15:0];
          5'd9: begin
            kernel <= reg_wdata[3:0];
            stride <= reg_wdata[7:4];
            upsample <= reg_wdata[8];
            relu <= reg_wdata[12];
            out32 <= reg_wdata[16];
          end
          5'd10: wo <= reg_wdata[15:0];
          5'd11: tile_px <= reg_wdata[15:0];
          5'd12: out_base <= reg_wdata;
          5'd13: out_pitch <= reg_wdata;
          5'd14: out_row <= reg_wdata;
          5'd31: begin
            cnt_mac <= 0;
            cnt_ibuf_rd <= 0;
            cnt_ibuf_wr <= 0;
            cnt_wbuf_rd <= 0;
            cnt_wbuf_wr <= 0;
            cnt_acc_rd <= 0;
            cnt_acc_wr <= 0;
            cnt_passes <= 0;
            cnt_wb <= 0;
          end
          default: ;
        endcase
      end

      // ---- DMA receive (in order) ----
      if (mem_rvalid && state == S_DMA) begin
        buf_wdata <= mem_rdata;
        if (!dma_to_w) begin
          ibuf_we <= 1'b1;
          ibuf_waddr <= dma_recv[10:0];
          cnt_ibuf_wr <= cnt_ibuf_wr + 1;
        end else if (dma_recv == 16'd0) bias_r[127:0] <= mem_rdata;
        else if (dma_recv == 16'd1) bias_r[255:128] <= mem_rdata;
        else if (dma_recv == 16'd2) mult_r[127:0] <= mem_rdata;
        else if (dma_recv == 16'd3) mult_r[255:128] <= mem_rdata;
        else if (dma_recv == 16'd4) shift_r <= mem_rdata[63:0];
        else begin
          wbuf_we <= 1'b1;
          wbuf_waddr <= dma_recv[8:0] - 9'd5;
          cnt_wbuf_wr <= cnt_wbuf_wr + 1;
        end
        dma_recv <= dma_recv + 1;
      end

      // ---- stream pipeline stages S1, S2 (run in S_STREAM and S_DRAIN) ----
      s2_v <= s1_v;
      if (s1_v) begin
        s2_dot <= dotv;
        s2_p <= s1_p;
        s2_first <= s1_first;
        if (!s1_first) cnt_acc_rd <= cnt_acc_rd + 1;
      end
      if (s2_v) begin
        acc_wdata <= accv;
        acc_waddr <= s2_p;
        acc_we <= 1'b1;
        cnt_acc_wr <= cnt_acc_wr + 1;
      end
      s1_v <= 1'b0;

      // ---- writeback stages W1, W2 ----
      w2_v <= w1_v;
      if (w1_v) begin
        w2_bytes <= bytes;
        w2_raw <= acc_q;
        w2_addr <= w1_addr;
      end
      if (w2_v) begin
        mem_valid <= 1'b1;
        mem_we <= 1'b1;
        mem_addr <= {w2_addr[31:4], 4'd0};
        if (out32) begin
          mem_wdata <= w2_raw[127:0];
          mem_wstrb <= 16'hffff;
          w2_second <= 1'b1;
        end else begin
          mem_wdata <= {w2_bytes, w2_bytes};
          mem_wstrb <= w2_addr[3] ? 16'hff00 : 16'h00ff;
        end
      end
      if (w2_second) begin
        mem_valid <= 1'b1;
        mem_we <= 1'b1;
        mem_addr <= {w2_addr[31:4], 4'd0} + 32'd16;
        mem_wdata <= w2_raw[255:128];
        mem_wstrb <= 16'hffff;
        w2_second <= 1'b0;
      end
      w1_v <= 1'b0;

      case (state)
        S_IDLE:
        if (cmd != 3'd0) state <= S_NEXT;

        S_NEXT: begin
          if (cmd[0]) begin
            cmd[0] <= 1'b0;
            dma_to_w <= 1'b0;
            dma_base <= band_base;
            dma_words <= band_words;
            dma_issued <= 0;
            dma_recv <= 0;
            state <= S_DMA;
          end else if (cmd[1]) begin
            cmd[1] <= 1'b0;
            dma_to_w <= 1'b1;
            dma_base <= w_base;
            dma_words <= w_words + 16'd5;
            dma_issued <= 0;
            dma_recv <= 0;
            state <= S_DMA;
          end else if (cmd[2]) begin
            cmd[2] <= 1'b0;
            ky <= 0;
            kx <= 0;
            icg <= 0;
            tap_off8 <= 0;
            row_off8 <= 0;
            wblk <= 0;
            first_pass <= 1'b1;
            lw <= 0;
            state <= S_LOADW;
          end else state <= S_IDLE;
        end

        S_DMA: begin
          if (dma_issued != dma_words) begin
            mem_valid <= 1'b1;
            mem_we <= 1'b0;
            mem_addr <= dma_base + {12'd0, dma_issued, 4'd0};
            dma_issued <= dma_issued + 1;
          end
          if (dma_recv == dma_words) state <= S_NEXT;
        end

        // load the 64 weights of block (tap, icg) into the array: 4 reads, data one cycle later
        S_LOADW: begin
          if (lw < 3'd4) cnt_wbuf_rd <= cnt_wbuf_rd + 1;
          case (lw)
            3'd1: wreg[127:0] <= wbuf_q;
            3'd2: wreg[255:128] <= wbuf_q;
            3'd3: wreg[383:256] <= wbuf_q;
            3'd4: wreg[511:384] <= wbuf_q;
            default: ;
          endcase
          lw <= lw + 1;
          if (lw == 3'd4) begin
            row_start8 <= tap_off8 + in_origin8 + icg;
            px8 <= tap_off8 + in_origin8 + icg;
            ox <= 0;
            oy_par <= 1'b0;
            p <= 0;
            cnt_passes <= cnt_passes + 1;
            state <= S_STREAM;
          end
        end

        // one pixel per cycle: read its 8 input channels, multiply with the held weights
        S_STREAM: begin
          s1_half <= px8[0];
          s1_v <= 1'b1;
          s1_p <= p[9:0];
          s1_first <= first_pass;
          cnt_mac <= cnt_mac + 1;
          cnt_ibuf_rd <= cnt_ibuf_rd + 1;
          if (ox == wo - 16'd1) begin
            ox <= 0;
            if (upsample) begin
              oy_par <= ~oy_par;
              if (oy_par) begin
                row_start8 <= row_start8 + in_row8;
                px8 <= row_start8 + in_row8;
              end else px8 <= row_start8;
            end else begin
              row_start8 <= row_start8 + rstep8;
              px8 <= row_start8 + rstep8;
            end
          end else begin
            ox <= ox + 1;
            if (!upsample || ox[0]) px8 <= px8 + step8;
          end
          p <= p + 1;
          if (p == tile_px - 16'd1) begin
            drain <= 0;
            state <= S_DRAIN;
          end
        end

        // let the last pixels reach the accumulator, then the next pass or writeback
        S_DRAIN: begin
          drain <= drain + 1;
          if (drain == 3'd3) begin
            first_pass <= 1'b0;
            wblk <= wblk + 9'd4;
            lw <= 0;
            if (icg != icg_n - 16'd1) begin
              icg <= icg + 1;
              state <= S_LOADW;
            end else begin
              icg <= 0;
              if (kx != kernel - 4'd1) begin
                kx <= kx + 1;
                tap_off8 <= tap_off8 + in_pitch8;
                state <= S_LOADW;
              end else if (ky != kernel - 4'd1) begin
                kx <= 0;
                ky <= ky + 1;
                tap_off8 <= row_off8 + in_row8;
                row_off8 <= row_off8 + in_row8;
                state <= S_LOADW;
              end else begin
                p <= 0;
                wb_ox <= 0;
                wb_addr <= out_base;
                wb_row_addr <= out_base;
                wb_phase <= 1'b0;
                state <= S_WB;
              end
            end
          end
        end

        // read each pixel's 8 accumulators; out32 needs two DRAM beats, so issue every other cycle
        S_WB: begin
          wb_phase <= out32 ? ~wb_phase : 1'b0;
          if (!(out32 && wb_phase)) begin
            cnt_acc_rd <= cnt_acc_rd + 1;
            cnt_wb <= cnt_wb + 1;
            w1_v <= 1'b1;
            w1_addr <= wb_addr;
            if (wb_ox == wo - 16'd1) begin
              wb_ox <= 0;
              wb_row_addr <= wb_row_addr + out_row;
              wb_addr <= wb_row_addr + out_row;
            end else begin
              wb_ox <= wb_ox + 1;
              wb_addr <= wb_addr + out_pitch;
            end
            p <= p + 1;
            if (p == tile_px - 16'd1) begin
              drain <= 0;
              state <= S_WBDRAIN;
            end
          end
        end

        S_WBDRAIN: begin
          drain <= drain + 1;
          if (drain == 3'd4) state <= S_NEXT;
        end

        default: state <= S_IDLE;
      endcase
    end
  end

  // ---- register reads ----
  always @(*) begin
    case (reg_addr)
      5'd0: reg_rdata = {31'd0, busy};
      5'd16: reg_rdata = cnt_mac;
      5'd17: reg_rdata = cnt_ibuf_rd;
      5'd18: reg_rdata = cnt_ibuf_wr;
      5'd19: reg_rdata = cnt_wbuf_rd;
      5'd20: reg_rdata = cnt_wbuf_wr;
      5'd21: reg_rdata = cnt_acc_rd;
      5'd22: reg_rdata = cnt_acc_wr;
      5'd23: reg_rdata = cnt_passes;
      5'd24: reg_rdata = cnt_wb;
      default: reg_rdata = 32'd0;
    endcase
  end

endmodule

`default_nettype wire
