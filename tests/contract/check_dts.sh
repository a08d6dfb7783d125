#!/bin/sh
# Checks the generated devicetree node: compiles a board .dts that includes it with dtc
# (warnings count as failures) and checks the node's properties in the decompiled blob.
#   check_dts.sh EPOCHCORE_DESCRIBE WORK_DIR
# Exit 77 (ctest SKIP_RETURN_CODE) when dtc is not installed.
set -eu
if ! command -v dtc >/dev/null 2>&1; then
  echo "SKIPPED: dtc not found (Debian package device-tree-compiler)"
  exit 77
fi
tool=$1
dir=$2
mkdir -p "$dir"
"$tool" --dts --base 0x40000000 --irq 5 > "$dir/epochcore.dtsi"
cat > "$dir/board.dts" <<'DTS'
/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	model = "EpochCore test board";
	compatible = "epochcore,test-board";

	soc {
		compatible = "simple-bus";
		#address-cells = <2>;
		#size-cells = <2>;
		interrupt-parent = <&intc>;
		ranges;

		intc: interrupt-controller@10000000 {
			compatible = "epochcore,test-intc";
			reg = <0x0 0x10000000 0x0 0x1000>;
			interrupt-controller;
			#interrupt-cells = <2>;
			#address-cells = <0>;
		};

		/include/ "epochcore.dtsi"
	};
};
DTS
dtc -I dts -O dtb -o "$dir/board.dtb" "$dir/board.dts" 2> "$dir/dtc.err" || { cat "$dir/dtc.err"; exit 1; }
if [ -s "$dir/dtc.err" ]; then echo "dtc warnings:"; cat "$dir/dtc.err"; exit 1; fi
dtc -I dtb -O dts -o "$dir/back.dts" "$dir/board.dtb" 2>/dev/null
for want in 'accelerator@40000000 {' 'compatible = "epochcore,epochcore-1.1\0epochcore,epochcore";' \
            'reg = <0x00 0x40000000 0x00 0x100>;' 'interrupts = <0x05 0x04>;'; do
  grep -qF "$want" "$dir/back.dts" || { echo "missing in the compiled node: $want"; cat "$dir/back.dts"; exit 1; }
done
echo "devicetree node compiles with dtc: OK"
