/**
 * Azure's region names, as Resource Manager spells them (`az account list-locations`), for a
 * check that can only warn: whether a region is offered to a subscription is not knowable
 * offline, and new regions open. A name shaped like no region is refused; one this list does
 * not know is warned about, with the nearest it does.
 */
import { InvalidArgumentError, describeValue, nearest } from "./errors";

export const AZURE_REGIONS: readonly string[] = [
  // Americas
  "eastus",
  "eastus2",
  "centralus",
  "northcentralus",
  "southcentralus",
  "westcentralus",
  "westus",
  "westus2",
  "westus3",
  "canadacentral",
  "canadaeast",
  "brazilsouth",
  "brazilsoutheast",
  "mexicocentral",
  "chilecentral",
  // Europe
  "northeurope",
  "westeurope",
  "uksouth",
  "ukwest",
  "francecentral",
  "francesouth",
  "germanywestcentral",
  "germanynorth",
  "switzerlandnorth",
  "switzerlandwest",
  "norwayeast",
  "norwaywest",
  "swedencentral",
  "swedensouth",
  "polandcentral",
  "italynorth",
  "spaincentral",
  "austriaeast",
  "belgiumcentral",
  "denmarkeast",
  // Middle East and Africa
  "uaenorth",
  "uaecentral",
  "qatarcentral",
  "israelcentral",
  "southafricanorth",
  "southafricawest",
  "saudiarabiacentral",
  // Asia Pacific
  "eastasia",
  "southeastasia",
  "japaneast",
  "japanwest",
  "koreacentral",
  "koreasouth",
  "centralindia",
  "southindia",
  "westindia",
  "jioindiawest",
  "jioindiacentral",
  "australiaeast",
  "australiasoutheast",
  "australiacentral",
  "australiacentral2",
  "newzealandnorth",
  "indonesiacentral",
  "malaysiawest",
  "taiwannorth",
  // Sovereign clouds
  "usgovvirginia",
  "usgovarizona",
  "usgovtexas",
  "usdodeast",
  "usdodcentral",
  "chinaeast",
  "chinaeast2",
  "chinaeast3",
  "chinanorth",
  "chinanorth2",
  "chinanorth3",
];

/**
 * Checks a region name: refused when no region could be so named (Resource Manager's names are
 * lowercase letters and digits), a warning when this list does not know it.
 */
export function checkRegion(value: unknown, field: string): { region: string; warning?: string } {
  if (typeof value !== "string" || !/^[a-z][a-z0-9]{2,39}$/.test(value)) {
    const spaced = typeof value === "string" ? value.toLowerCase().replace(/\s+/g, "") : undefined;
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      `expected an Azure region's name as Resource Manager spells it, such as westeurope${spaced && AZURE_REGIONS.includes(spaced) ? ` (here: ${spaced})` : ""}`,
    );
  }
  if (AZURE_REGIONS.includes(value)) return { region: value };
  const near = nearest(value, AZURE_REGIONS);
  return {
    region: value,
    warning: `${field}: ${JSON.stringify(value)} is not an Azure region this version knows${near ? `; did you mean ${near}?` : ""} (az account list-locations lists yours; a new region is fine)`,
  };
}
